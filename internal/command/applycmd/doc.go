// Package applycmd implements waymark apply and waymark destroy: deploy a
// saved plan exactly, or plan, show the plan, ask for yes and deploy it;
// destroy is apply of the plan that removes every object of the stack. It
// also holds the approval question that rollback asks too.
//
// It must not compute or render plans itself: package planner plans and
// applies, package plancmd loads the configuration and renders.
package applycmd
