// Package models holds the adaptive models of the decision pipeline: one
// per action and channel, estimating the probability that a customer
// responds positively to the action, learning online from responses.
//
// Model is the interface the pipeline ranks with; Beta is the model every
// action starts with, a Beta-Bernoulli posterior over the action's positive
// rate with a Beta(1, 1) prior. A richer model (naive Bayes over binned
// customer attributes and journey stages) implements the same interface
// and receives Features.
//
// Exploration follows two rules. Explore: while a model has fewer than
// TrustAfter labelled responses, the pipeline ranks its action by a
// Thompson draw from the posterior; from then on, by the posterior mean.
// An action that wins its draws so gathers the evidence to be trusted.
// ExploreShare: in that share of decisions one of the candidates that
// passed the filters, drawn at random, is ranked first, so that an action
// that lost its first draws (a Thompson draw of a clearly worse action
// almost never wins again) keeps being tried, and a change in how
// customers respond is noticed.
//
// Registry keeps every model by key, safe for concurrent use, and tracks
// which changed since the engine last committed them. The package must not
// know about journeys, stores, HTTP or how responses arrive.
package models
