// Package graph draws the journeys of a deployable Document for `waymark
// graph`: each journey with its entry, its stages in order (and where their
// timeouts lead), the actions offered at each stage, and the channels those
// actions use; as Graphviz DOT or as a Mermaid flowchart.
//
// It reads a deploy.Document only. It must not load configurations, talk
// to the runtime, or know about plans.
package graph
