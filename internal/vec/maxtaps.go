package vec

// MaxTaps is the argmax of a max pool over precomputed integer keys (see
// tensor's poolKey: the order of the floats, every NaN above +inf, padding
// at math.MinInt32 so that it never wins):
//
//	for r < rows, k < n: over t = 0, 1, ... the first t with the strictly
//	greatest keys[r·ks+offs[t]+k] wins, and bi[r·bs+k] = io[t] + r·ir + k·ic
//
// (io[t] + r·ir + k·ic is the winner's index in the caller's input plane).
// Slack: the vector bodies read whole blocks of 16 keys, so keys must extend
// to (rows-1)·ks + max(offs) + ⌈n/16⌉·16. Every body gives the indices of
// MaxTapsOf (selections only, no arithmetic on the keys).

// MaxTapsOf is the definition of MaxTaps.
func MaxTapsOf(bi []int32, bs int, keys []int32, ks, rows, n int, offs, io []int32, ir, ic int32) {
	io = io[:len(offs)]
	for r := 0; r < rows; r++ {
		kr, br := keys[r*ks:], bi[r*bs:r*bs+n]
		for k := range br {
			best, idx := int32(-1<<31), int32(0)
			for t, o := range offs {
				if v := kr[int(o)+k]; v > best {
					best, idx = v, io[t]
				}
			}
			br[k] = idx + int32(r)*ir + int32(k)*ic
		}
	}
}
