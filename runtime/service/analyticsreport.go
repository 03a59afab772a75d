package service

import (
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// analyticsReport is a journey's analytics as the API shows it. A nil
// list stays nil (null) and an empty one empty ([]), as analytics made
// them.
func analyticsReport(r *analytics.Report) *apiv1.Analytics {
	t := r.Totals
	return &apiv1.Analytics{
		Stack: r.Stack, Journey: r.Journey, Now: r.Now, Window: r.Window, From: r.From, To: r.To, Active: r.Active,
		Totals: apiv1.Totals{Entries: t.Entries, Completed: t.Completed, Exited: t.Exited, Expired: t.Expired,
			TimedOut: t.TimedOut, Removed: t.Removed},
		Funnel: convert(r.Funnel, func(f analytics.FunnelStage) apiv1.FunnelStage {
			return apiv1.FunnelStage{Stage: f.Stage, Reached: f.Reached, MovedOn: f.MovedOn, Completed: f.Completed, StillThere: f.StillThere,
				Dropped: f.Dropped, Left: f.Left, Median: f.Median, P90: f.P90}
		}),
		Paths: convert(r.Paths, func(p analytics.Path) apiv1.Path {
			return apiv1.Path{Stages: p.Stages, Runs: p.Runs, Goals: p.Goals, GoalShare: p.GoalShare}
		}),
		Actions:     convert(r.Actions, actionReport),
		Channels:    convert(r.Channels, actionReport),
		KPIs:        convert(r.KPIs, kpiReport),
		Experiments: convert(r.Experiments, experimentReport),
		Score:       r.Score,
		Hourly: convert(r.Hourly, func(h analytics.Hour) apiv1.Hour {
			return apiv1.Hour{Hour: h.Hour, Entries: h.Entries, Goals: h.Goals, Dropped: h.Dropped}
		}),
	}
}

func actionReport(a analytics.ActionReport) apiv1.ActionReport {
	return apiv1.ActionReport{Action: a.Action, Treatment: a.Treatment, Channel: a.Channel, Decided: a.Decided, Delivered: a.Delivered,
		Failed: a.Failed, Impressions: a.Impressions, Responded: a.Responded, Positive: a.Positive,
		Converted: a.Converted, Conversion: a.Conversion}
}

func experimentReport(e analytics.ExperimentReport) apiv1.Experiment {
	out := apiv1.Experiment{Action: e.Action, Name: e.Name, Metric: e.Metric, Control: e.Control, State: e.State}
	for _, v := range e.Variants {
		c := v.Conversion
		x := apiv1.Variant{Name: v.Name, Control: v.Control, Assigned: v.Assigned, Delivered: v.Delivered, Converted: v.Converted,
			Conversion: apiv1.Rate{Value: c.Value, Low: c.Low, High: c.High}}
		if l := v.Lift; l != nil {
			x.Lift = &apiv1.Lift{Value: l.Value, Low: l.Low, High: l.High, Defined: l.Defined}
		}
		if d := v.Test; d != nil {
			x.Test = &apiv1.VariantTest{State: d.State, PValue: d.PValue, DifferenceLow: d.DifferenceLow, DifferenceHigh: d.DifferenceHigh}
		}
		out.Variants = append(out.Variants, x)
	}
	return out
}

func kpiReport(k analytics.KPIReport) apiv1.KPI {
	out := apiv1.KPI{Name: k.Name, Metric: k.Metric, Window: k.Window, Unit: k.Unit, Value: k.Value,
		State: apiv1.KPIState(k.State), Samples: k.Samples, Pending: k.Pending, PendingConverted: k.PendingConverted,
		Series: k.Series, Alert: k.Alert}
	if k.Target != nil {
		out.Target = &apiv1.Target{Above: k.Target.Above, Below: k.Target.Below, MinSamples: k.Target.MinSamples}
	}
	if h := k.Holdout; h != nil {
		side := func(s analytics.HoldoutArm) apiv1.HoldoutSide {
			return apiv1.HoldoutSide{Count: s.Count, Samples: s.Samples, Value: s.Value, Low: s.Low, High: s.High}
		}
		out.Holdout = &apiv1.KPIHoldout{Share: h.Share, Treated: side(h.Treated), Holdout: side(h.Holdout),
			Test: apiv1.HoldoutTest{State: h.Test.State, PValue: h.Test.PValue, DifferenceLow: h.Test.DifferenceLow, DifferenceHigh: h.Test.DifferenceHigh}}
		if l := h.Lift; l != nil {
			out.Holdout.Lift = &apiv1.HoldoutLift{Value: l.Value, Low: l.Low, High: l.High}
		}
	}
	return out
}

// convert maps a list, keeping nil apart from empty.
func convert[S, D any](in []S, f func(S) D) []D {
	if in == nil {
		return nil
	}
	out := make([]D, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}
