# The stage "profile_done" was renamed "profile_completed". This block moves
# the customers who are in the old stage to the new one on the next apply,
# instead of letting them leave the journey. Keep it until every runtime the
# stack is deployed to has been applied with it; then it can go.

moved {
  from = journey.onboarding.stage.profile_done
  to   = journey.onboarding.stage.profile_completed
}
