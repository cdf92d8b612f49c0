#include "textflag.h"

// func rdtsc() int64
TEXT ·rdtsc(SB), NOSPLIT, $0-8
	RDTSC
	SHLQ $32, DX
	ORQ  DX, AX
	MOVQ AX, ret+0(FP)
	RET

// func rdpidCPU() int
TEXT ·rdpidCPU(SB), NOSPLIT, $0-8
	// RDPID RAX (F3 0F C7 /7), spelled out for older assemblers.
	BYTE $0xF3; BYTE $0x0F; BYTE $0xC7; BYTE $0xF8
	ANDQ $0xfff, AX
	MOVQ AX, ret+0(FP)
	RET

// func rdtscpCPU() int
TEXT ·rdtscpCPU(SB), NOSPLIT, $0-8
	RDTSCP
	ANDQ $0xfff, CX
	MOVQ CX, ret+0(FP)
	RET

// func rdfsbase() uint64
TEXT ·rdfsbase(SB), NOSPLIT, $0-8
	// RDFSBASE RAX (F3 48 0F AE /0).
	BYTE $0xF3; BYTE $0x48; BYTE $0x0F; BYTE $0xAE; BYTE $0xC0
	MOVQ AX, ret+0(FP)
	RET

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func runtimeTidAsm() uint64
// g.m is at offset 48 of the runtime's g (stack, stackguard0, stackguard1,
// _panic, _defer come first) and m.procid at offset 64 of its m (g0,
// morebuf, divmod), in Go 1.21 to 1.26; tidPaths checks the result
// against gettid before the engine trusts it.
TEXT ·runtimeTidAsm(SB), NOSPLIT, $0-8
	MOVQ (TLS), AX
	TESTQ AX, AX
	JZ none
	MOVQ 48(AX), AX
	TESTQ AX, AX
	JZ none
	MOVQ 64(AX), AX
	MOVQ AX, ret+0(FP)
	RET
none:
	MOVQ $0, ret+0(FP)
	RET
