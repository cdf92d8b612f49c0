#include "textflag.h"

// func rdtscpCPU() int
TEXT ·rdtscpCPU(SB), NOSPLIT, $0-8
	RDTSCP
	ANDQ $0xfff, CX
	MOVQ CX, ret+0(FP)
	RET

// func cpuidHasRDTSCP() bool
TEXT ·cpuidHasRDTSCP(SB), NOSPLIT, $0-1
	MOVL $0x80000000, AX
	XORL CX, CX
	CPUID
	CMPL AX, $0x80000001
	JB   no
	MOVL $0x80000001, AX
	XORL CX, CX
	CPUID
	SHRL $27, DX
	ANDL $1, DX
	MOVB DX, ret+0(FP)
	RET
no:
	MOVB $0, ret+0(FP)
	RET
