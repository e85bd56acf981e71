package spantest

import "runtime"

// LiveHeap returns the bytes of live heap objects, after two collections
// (what a test that holds on to spans keeps alive).
func LiveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
