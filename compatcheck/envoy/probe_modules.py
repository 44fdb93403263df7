"""One tiny module fragment per Wasm proposal, for measuring what a runtime accepts."""

PROPOSAL_MODULES = {
    "multi-value": "(func (result i32 i32) (i32.const 1) (i32.const 2))",
    "sign-extension": "(func (drop (i32.extend8_s (i32.const 1))))",
    "saturating-float-to-int": "(func (drop (i32.trunc_sat_f32_s (f32.const 0))))",
    "bulk-memory": "(func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)))",
    "reference-types": "(table 1 externref) (func (drop (table.get 0 (i32.const 0))))",
    "ref-null-heap-type": "(func (drop (ref.null extern)))",
    "simd": "(func (drop (v128.const i32x4 0 0 0 0)))",
    "relaxed-simd": ("(func (drop (f32x4.relaxed_madd (v128.const i32x4 0 0 0 0) "
                     "(v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0))))"),
    "threads": "(func (drop (i32.atomic.load (i32.const 0))))",
    "exceptions-exnref": ("(tag $e) (func (block $h (result exnref) (try_table (catch_all_ref $h) "
                          "(throw $e)) (unreachable)) (drop))"),
    "tail-call": "(func $t (return_call $t))",
    "extended-const": "(global i32 (i32.add (i32.const 1) (i32.const 2)))",
    "function-references": "(type $f (func)) (func $g) (elem declare func $g) "
                           "(func (call_ref $f (ref.func $g)))",
    "gc": "(type $s (struct (field i32))) (func (drop (struct.new $s (i32.const 1))))",
    "multi-memory": "(memory 1) (func (drop (i32.load 1 (i32.const 0))))",
    "memory64": "(memory i64 1) (func (drop (i32.load 1 (i64.const 0))))",
    "mutable-globals": '(global (export "g") (mut i32) (i32.const 0))',
}

# One module per crash shape of V8's C API (checks/capi.py): an import or export whose type the
# C API cannot represent. (kind, extra imports, definitions); each also loads where V8 refuses
# the proposal at compile time, which then tells nothing about the crash.
CRASH_MODULES = {
    "capi-v128": ("", '(func (export "probe_simd") (param v128))'),
    "capi-gc-ref": ("", '(func (export "probe_gc") (param anyref))'),
    "capi-exnref": ("", '(func (export "probe_exn") (param exnref))'),
    "tag-import": ('(import "env" "probe_tag" (tag (param i32)))', ""),
    "tag-export": ("", '(tag (export "probe_tag") (param i32))'),
}
