// A word-counting filter for GOOS=wasip1 against the raw Proxy-Wasm ABI (0.2.1), no SDK; for
// `compatcheck run` and the serving judge (tests/integration/test_serving.py). Built as a reactor
// (-buildmode=c-shared: _initialize, then //go:wasmexport functions).
//
// A request with a body is buffered to its end and answered locally: 200, x-words: N, and
// "N words" (also printed to stdout, which the host logs at info). A request without a body
// goes on; the response's content-type is replaced. The plugin configuration, when there is
// one, is a prefix for the answer.
package main

import (
	"fmt"
	"strings"
	"unsafe"
)

//go:wasmimport env proxy_log
func proxyLog(level uint32, msg unsafe.Pointer, size uint32) uint32

//go:wasmimport env proxy_get_buffer_bytes
func proxyGetBufferBytes(kind, start, max uint32, ptr unsafe.Pointer, size unsafe.Pointer) uint32

//go:wasmimport env proxy_replace_header_map_value
func proxyReplaceHeader(kind uint32, key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_send_local_response
func proxySendLocalResponse(code uint32, details unsafe.Pointer, detailsSize uint32, body unsafe.Pointer, bodySize uint32, pairs unsafe.Pointer, pairsSize uint32, grpc int32) uint32

// Buffers handed to the host stay referenced here so the GC keeps them.
var pinned = map[uintptr][]byte{}
var prefix string

func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func logInfo(s string) {
	b := []byte(s)
	proxyLog(2, ptr(b), uint32(len(b)))
}

func buffer(kind, size uint32) []byte {
	var p uintptr
	var n uint32
	if proxyGetBufferBytes(kind, 0, size, unsafe.Pointer(&p), unsafe.Pointer(&n)) != 0 || p == 0 {
		return nil
	}
	data := pinned[p][:n]
	delete(pinned, p)
	return data
}

func pairs(kv ...string) []byte {
	out := make([]byte, 4+8*len(kv)/2)
	put := func(at int, v uint32) {
		out[at], out[at+1], out[at+2], out[at+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	put(0, uint32(len(kv)/2))
	for i := 0; i < len(kv); i++ {
		put(4+4*i, uint32(len(kv[i])))
	}
	for _, s := range kv {
		out = append(append(out, s...), 0)
	}
	return out
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
func onVMStart(rootID, vmConfigSize uint32) uint32 { return 1 }

//go:wasmexport proxy_on_configure
func onConfigure(rootID, configSize uint32) uint32 {
	if configSize > 0 {
		prefix = string(buffer(7, configSize))
	}
	logInfo("go filter: configured")
	return 1
}

//go:wasmexport proxy_on_context_create
func onContextCreate(id, parent uint32) {}

//go:wasmexport proxy_on_request_headers
func onRequestHeaders(id, headers, endOfStream uint32) uint32 { return 0 }

//go:wasmexport proxy_on_request_body
func onRequestBody(id, size, endOfStream uint32) uint32 {
	if endOfStream == 0 {
		return 1 // StopIterationAndBuffer
	}
	words := len(strings.Fields(string(buffer(0, size))))
	fmt.Printf("go filter: %d words\n", words)
	body := []byte(fmt.Sprintf("%s%d words\n", prefix, words))
	details := []byte("go_filter")
	hdrs := pairs("x-words", fmt.Sprint(words))
	proxySendLocalResponse(200, ptr(details), uint32(len(details)), ptr(body), uint32(len(body)), ptr(hdrs), uint32(len(hdrs)), -1)
	return 1
}

//go:wasmexport proxy_on_response_headers
func onResponseHeaders(id, headers, endOfStream uint32) uint32 {
	k, v := []byte("content-type"), []byte("text/plain; filtered-by=go")
	proxyReplaceHeader(2, ptr(k), uint32(len(k)), ptr(v), uint32(len(v)))
	return 0
}

//go:wasmexport proxy_on_done
func onDone(id uint32) uint32 { return 1 }

//go:wasmexport proxy_on_delete
func onDelete(id uint32) {}

func main() {}
