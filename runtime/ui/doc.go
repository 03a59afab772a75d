// Package ui is the runtime's web console, served under /ui: the stacks
// and their journeys at a glance, a journey's map (drawn as SVG on the
// server), funnel, KPIs, paths and action performance over a chosen
// window, a customer's profile (sensitive attributes withheld), journeys,
// timeline and decisions, the deployment history and the adaptive models.
//
// Pages render on the server with html/template from files embedded in
// the binary; a few lines of embedded script refresh a journey's figures
// without a reload, and every page works without it. Nothing is fetched
// from elsewhere. The console reads what the /v1 API answers, from the
// same service calls and in the same apiv1 types, and needs a token with
// the read scope, kept in an HttpOnly, SameSite=Strict session cookie.
package ui
