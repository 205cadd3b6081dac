package utils

// SafeMap is the ordered map cluster's JS keeps its handles in (a Map,
// primordials' SafeMap): lookups by key, iteration in insertion order.
// It has no file of its own in Node.
type SafeMap[V any] struct {
	m     map[string]V
	order []string
}

// Get returns the value for key and whether it is there.
func (s *SafeMap[V]) Get(key string) (V, bool) {
	v, ok := s.m[key]
	return v, ok
}

// Set stores value under key, keeping key's place when it is there.
func (s *SafeMap[V]) Set(key string, value V) {
	if s.m == nil {
		s.m = make(map[string]V)
	}
	if _, ok := s.m[key]; !ok {
		s.order = append(s.order, key)
	}
	s.m[key] = value
}

// Delete removes key.
func (s *SafeMap[V]) Delete(key string) {
	if _, ok := s.m[key]; !ok {
		return
	}
	delete(s.m, key)
	for i, k := range s.order {
		if k == key {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			return
		}
	}
}

// Keys returns a copy of the keys in insertion order, safe to range over
// while the map changes.
func (s *SafeMap[V]) Keys() []string { return append([]string(nil), s.order...) }

// Len is the number of keys.
func (s *SafeMap[V]) Len() int { return len(s.m) }

// Clear empties the map.
func (s *SafeMap[V]) Clear() {
	s.m = nil
	s.order = nil
}
