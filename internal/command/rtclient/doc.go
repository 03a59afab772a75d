// Package rtclient connects the CLI's deployment commands (plan, apply,
// destroy, show, history, rollback) to the runtime: it decides which
// runtime they talk to (WAYMARK_ADDR, else the configuration's
// runtime { address }, else http://127.0.0.1:7400, with WAYMARK_TOKEN) and
// adapts the runtime's Go client to planner.Runtime, reading withheld
// sensitive values back with their digests and turning the runtime's
// refusals into the planner's errors. Explain turns any command's failure
// to connect to the runtime into one message that names its address.
//
// It must not know how a plan is computed or shown: that is the planner's
// and the commands'.
package rtclient
