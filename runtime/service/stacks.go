package service

// StackNames lists the stacks that have objects deployed, sorted by name:
// what the console lists (the API reads one stack at a time).
func (s *Service) StackNames() []string {
	cat := s.eng.Catalog()
	if cat == nil {
		return nil
	}
	out := make([]string, 0, len(cat.Stacks))
	for _, st := range cat.Stacks {
		out = append(out, st.Name)
	}
	return out
}
