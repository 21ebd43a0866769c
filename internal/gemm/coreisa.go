package gemm

import (
	"fmt"

	"golang.org/x/sys/cpu"
)

// ISA levels of x86-64 vector code, lowest first.
const (
	isaSSE = iota + 1
	isaAVX
	isaAVX2
	isaAVX512
)

var isaNames = map[int]string{isaSSE: "SSE", isaAVX: "AVX", isaAVX2: "AVX2", isaAVX512: "AVX-512"}

// coreISA is the widest vector ISA each OpenBLAS kernel family
// (openblas_get_corename) uses; families not listed (other architectures,
// unknown names) are 0, never judged older than the CPU.
func coreISA(core string) int {
	switch core {
	case "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Core2", "Penryn", "Dunnington",
		"Nehalem", "Atom", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano", "Bobcat", "generic", "Generic":
		return isaSSE
	case "Sandybridge", "Bulldozer", "Piledriver", "Steamroller", "Excavator":
		return isaAVX
	case "Haswell", "Zen":
		return isaAVX2
	case "SkylakeX", "Cooperlake", "SapphireRapids":
		return isaAVX512
	}
	return 0
}

// cpuISA is the widest vector ISA this CPU (and OS) runs, as OpenBLAS's
// kernels use it: AVX-512 needs F, CD, BW, DQ and VL; AVX2 needs FMA too.
func cpuISA() int {
	x := cpu.X86
	switch {
	case x.HasAVX512F && x.HasAVX512CD && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL:
		return isaAVX512
	case x.HasAVX2 && x.HasFMA:
		return isaAVX2
	case x.HasAVX:
		return isaAVX
	case x.HasSSE3:
		return isaSSE
	}
	return 0
}

// openblasFits says whether an OpenBLAS kernel family is made for a CPU of
// the given ISA level: it is not, when its kernels use a narrower ISA than
// the CPU has (a DYNAMIC_ARCH OpenBLAS that does not know a CPU falls back
// to an old family such as Prescott, SSE3 only). why says which, for the
// path's name.
func openblasFits(core string, cpuLevel int) (ok bool, why string) {
	lv := coreISA(core)
	if lv == 0 || lv >= cpuLevel {
		return true, ""
	}
	return false, fmt.Sprintf("openblas/%s skipped: its %s kernels are older than this CPU's %s", core, isaNames[lv], isaNames[cpuLevel])
}
