// A tiny Proxy-Wasm filter for GOOS=wasip1 written against the raw ABI (0.2.1), no SDK.
//
// Built by tests/toolchains/build.py as a reactor (-buildmode=c-shared: _initialize) and as
// a command (default: _start, whose Go runtime exits through proc_exit when main returns).
package main

import "unsafe"

//go:wasmimport env proxy_log
func proxyLog(level uint32, msg unsafe.Pointer, size uint32) uint32

// Buffers handed to the host stay referenced here so the GC keeps them.
var pinned = map[uintptr][]byte{}

func logInfo(s string) {
	b := []byte(s)
	proxyLog(2, unsafe.Pointer(&b[0]), uint32(len(b)))
}

//go:wasmexport proxy_abi_version_0_2_1
func abiVersion() {}

//go:wasmexport proxy_on_memory_allocate
func onMemoryAllocate(size uint32) uint32 {
	if size == 0 {
		size = 1
	}
	b := make([]byte, size)
	p := uintptr(unsafe.Pointer(&b[0]))
	pinned[p] = b
	return uint32(p)
}

//go:wasmexport proxy_on_vm_start
func onVMStart(rootID, vmConfigSize uint32) uint32 {
	logInfo("go filter: vm started")
	return 1
}

//go:wasmexport proxy_on_configure
func onConfigure(rootID, configSize uint32) uint32 { return 1 }

//go:wasmexport proxy_on_context_create
func onContextCreate(id, parent uint32) {}

//go:wasmexport proxy_on_request_headers
func onRequestHeaders(id, headers, endOfStream uint32) uint32 { return 0 }

//go:wasmexport proxy_on_done
func onDone(id uint32) uint32 { return 1 }

//go:wasmexport proxy_on_delete
func onDelete(id uint32) {}

func main() {}
