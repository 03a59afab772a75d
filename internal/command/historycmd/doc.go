// Package historycmd implements waymark history, the stack's deployments
// as the runtime keeps them, and waymark rollback, which deploys one of
// them again through a plan: the runtime re-activates the stored
// deployment, since only it holds the sensitive values.
//
// It must not compute or render plans itself (packages planner and
// plancmd do).
package historycmd
