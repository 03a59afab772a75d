package graph

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
)

// model is what both renderings draw.
type model struct {
	stack    string
	journeys []journey
	channels []channel // used by some action, by name
}

type journey struct {
	name, entry, goal string
	stages            []*deploy.Stage  // by index
	actions           []*deploy.Action // by name
}

type channel struct {
	name, provider string
}

func build(d *deploy.Document) model {
	m := model{stack: d.Stack}
	byName := map[string]*journey{}
	var names []string
	channels := map[string]*deploy.Channel{}
	used := map[string]bool{}
	get := func(n string) *journey {
		if j := byName[n]; j != nil {
			return j
		}
		j := &journey{name: n}
		byName[n] = j
		names = append(names, n)
		return j
	}
	for i := range d.Objects {
		o := &d.Objects[i]
		switch o.Kind {
		case deploy.KindJourney:
			j := get(o.Journey.Name)
			j.entry = criterion(o.Journey.Entry)
			if g := o.Journey.Goal; g != nil {
				j.goal = criterion(g.Criterion)
				if g.Within != "" {
					j.goal += " within " + g.Within
				}
			}
		case deploy.KindStage:
			j := get(o.Stage.Journey)
			j.stages = append(j.stages, o.Stage)
		case deploy.KindAction:
			j := get(o.Action.Journey)
			j.actions = append(j.actions, o.Action)
			used[o.Action.Channel] = true
		case deploy.KindChannel:
			channels[o.Channel.Name] = o.Channel
		}
	}
	sort.Strings(names)
	for _, n := range names {
		j := byName[n]
		sort.SliceStable(j.stages, func(a, b int) bool { return j.stages[a].Index < j.stages[b].Index })
		sort.SliceStable(j.actions, func(a, b int) bool { return j.actions[a].Name < j.actions[b].Name })
		m.journeys = append(m.journeys, *j)
	}
	for n := range used {
		c := channel{name: n}
		if ch := channels[n]; ch != nil {
			c.provider = ch.Provider
		}
		m.channels = append(m.channels, c)
	}
	sort.Slice(m.channels, func(a, b int) bool { return m.channels[a].name < m.channels[b].name })
	return m
}

// criterion says what an entry or goal matches, briefly: the event type,
// and "if …" when there is a condition, which is not shown in full because
// it may inline a sensitive value.
func criterion(c deploy.Criterion) string {
	switch {
	case c.Event != "" && c.Condition != "":
		return "event." + c.Event + " if …"
	case c.Event != "":
		return "event." + c.Event
	case c.Condition != "":
		return "a condition"
	}
	return ""
}

func stageLabel(s *deploy.Stage) string {
	l := "stage " + s.Name
	if s.Timeout != "" && s.TimeoutTo == "" {
		l += " (timeout " + s.Timeout + ")"
	}
	return l
}

func channelLabel(c channel) string {
	if c.provider == "" {
		return "channel " + c.name
	}
	return "channel " + c.name + " (" + c.provider + ")"
}

// DOT writes the journeys of d as a Graphviz digraph.
func DOT(w io.Writer, d *deploy.Document) error {
	m := build(d)
	var b strings.Builder
	q := strconv.Quote
	fmt.Fprintf(&b, "digraph %s {\n", q(m.stack))
	b.WriteString("  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n")
	for _, j := range m.journeys {
		id := addrs.JourneyAddress(j.name)
		fmt.Fprintf(&b, "\n  subgraph %s {\n", q("cluster_"+id))
		label := journeyLabel(j.name)
		if j.goal != "" {
			label += "\\ngoal: " + j.goal
		}
		fmt.Fprintf(&b, "    label=\"%s\";\n", escapeDOT(label))
		if j.entry != "" {
			fmt.Fprintf(&b, "    %s [label=%s, shape=oval];\n", q(id+".entry"), q("entry: "+j.entry))
		}
		for _, s := range j.stages {
			fmt.Fprintf(&b, "    %s [label=%s, shape=box, style=rounded];\n", q(id+".stage."+s.Name), q(stageLabel(s)))
		}
		for _, a := range j.actions {
			fmt.Fprintf(&b, "    %s [label=%s, shape=note];\n", q(id+".action."+a.Name), q("action "+a.Name))
		}
		if j.entry != "" && len(j.stages) > 0 {
			fmt.Fprintf(&b, "    %s -> %s;\n", q(id+".entry"), q(id+".stage."+j.stages[0].Name))
		}
		for i := 1; i < len(j.stages); i++ {
			fmt.Fprintf(&b, "    %s -> %s;\n", q(id+".stage."+j.stages[i-1].Name), q(id+".stage."+j.stages[i].Name))
		}
		for _, s := range j.stages {
			if s.TimeoutTo != "" {
				fmt.Fprintf(&b, "    %s -> %s [style=dashed, label=%s];\n", q(id+".stage."+s.Name), q(id+".stage."+s.TimeoutTo), q("timeout "+s.Timeout))
			}
		}
		for _, a := range j.actions {
			for _, s := range a.Stages {
				fmt.Fprintf(&b, "    %s -> %s [style=dotted, arrowhead=none];\n", q(id+".stage."+s), q(id+".action."+a.Name))
			}
		}
		b.WriteString("  }\n")
	}
	if len(m.channels) > 0 {
		b.WriteString("\n")
	}
	for _, c := range m.channels {
		fmt.Fprintf(&b, "  %s [label=%s, shape=cylinder];\n", q("channel."+c.name), q(channelLabel(c)))
	}
	for _, j := range m.journeys {
		for _, a := range j.actions {
			fmt.Fprintf(&b, "  %s -> %s;\n", q(addrs.JourneyAddress(j.name)+".action."+a.Name), q("channel."+a.Channel))
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeDOT escapes a label's quotes; \n stays a DOT line break.
func escapeDOT(s string) string { return strings.ReplaceAll(s, `"`, `\"`) }

// Mermaid writes the journeys of d as a Mermaid flowchart.
func Mermaid(w io.Writer, d *deploy.Document) error {
	m := build(d)
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	chanID := map[string]string{}
	for i, c := range m.channels {
		chanID[c.name] = "c" + strconv.Itoa(i+1)
	}
	for ji, j := range m.journeys {
		jid := "j" + strconv.Itoa(ji+1)
		stageID := map[string]string{}
		for si, s := range j.stages {
			stageID[s.Name] = jid + "_s" + strconv.Itoa(si+1)
		}
		label := journeyLabel(j.name)
		if j.goal != "" {
			label += "<br/>goal: " + j.goal
		}
		fmt.Fprintf(&b, "  subgraph %s[%s]\n", jid, mq(label))
		b.WriteString("    direction LR\n")
		if j.entry != "" {
			fmt.Fprintf(&b, "    %s_entry((%s))\n", jid, mq("entry: "+j.entry))
		}
		for _, s := range j.stages {
			fmt.Fprintf(&b, "    %s(%s)\n", stageID[s.Name], mq(stageLabel(s)))
		}
		for ai, a := range j.actions {
			fmt.Fprintf(&b, "    %s_a%d[/%s/]\n", jid, ai+1, mq("action "+a.Name))
		}
		if j.entry != "" && len(j.stages) > 0 {
			fmt.Fprintf(&b, "    %s_entry --> %s\n", jid, stageID[j.stages[0].Name])
		}
		for i := 1; i < len(j.stages); i++ {
			fmt.Fprintf(&b, "    %s --> %s\n", stageID[j.stages[i-1].Name], stageID[j.stages[i].Name])
		}
		for _, s := range j.stages {
			if to, ok := stageID[s.TimeoutTo]; ok {
				fmt.Fprintf(&b, "    %s -.->|%s| %s\n", stageID[s.Name], mq("timeout "+s.Timeout), to)
			}
		}
		for ai, a := range j.actions {
			for _, s := range a.Stages {
				if sid, ok := stageID[s]; ok {
					fmt.Fprintf(&b, "    %s -.- %s_a%d\n", sid, jid, ai+1)
				}
			}
		}
		b.WriteString("  end\n")
	}
	for _, c := range m.channels {
		fmt.Fprintf(&b, "  %s[(%s)]\n", chanID[c.name], mq(channelLabel(c)))
	}
	for ji, j := range m.journeys {
		for ai, a := range j.actions {
			fmt.Fprintf(&b, "  j%d_a%d --> %s\n", ji+1, ai+1, chanID[a.Channel])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mq quotes a Mermaid label: in double quotes, with quotes as #quot;.
func mq(s string) string { return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"` }

// journeyLabel is "journey cart", or a module's journey by its address.
func journeyLabel(name string) string {
	if a := addrs.JourneyAddress(name); a != "journey."+name {
		return a
	}
	return "journey " + name
}
