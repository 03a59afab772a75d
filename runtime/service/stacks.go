package service

// DeployedStack names a stack that has objects deployed and the serial of
// its active deployment.
type DeployedStack struct {
	Name   string
	Serial int64
}

// DeployedStacks lists the stacks that have objects deployed, sorted by
// name: what the console lists (the API reads one stack at a time). The
// serial lets a reader keep what it derived from a deployment until the
// next one.
func (s *Service) DeployedStacks() []DeployedStack {
	cat := s.eng.Catalog()
	if cat == nil {
		return nil
	}
	out := make([]DeployedStack, 0, len(cat.Stacks))
	for _, st := range cat.Stacks {
		out = append(out, DeployedStack{Name: st.Name, Serial: st.Serial})
	}
	return out
}
