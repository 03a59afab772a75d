// Package graphcmd implements waymark graph: the configuration's journeys
// drawn as Graphviz DOT or a Mermaid flowchart. It needs no runtime.
//
// It must not know how the graph is laid out: package planner/graph draws.
package graphcmd
