package nn

import "testing"

// TestConv4Cost checks Conv-4's counts against their closed forms: with
// c_in input channels, F filters, side S and W ways, s = ⌊S/16⌋,
//
//	params = (9·c_in·F + 3F) + 3·(9F² + 3F) + F·s²·W + W
//	MACs   = 9·F·(c_in·S² + F·(⌊S/2⌋² + ⌊S/4⌋² + ⌊S/8⌋²)) + F·s²·W
//
// (each block: conv weights and bias, BN γ and β).
func TestConv4Cost(t *testing.T) {
	for _, c := range []struct {
		cin, size, filters, ways int
		params, macs             int
	}{
		// MAML's Omniglot 5-way network: 28 -> 14 -> 7 -> 3 -> 1
		{1, 28, 64, 5, 112261, 9815360},
		// mini-ImageNet: 84 -> 42 -> 21 -> 10 -> 5
		{3, 84, 32, 5, 32901, 27343264},
	} {
		F, W, S := c.filters, c.ways, c.size
		s := S / 16
		params := 9*c.cin*F + 3*F + 3*(9*F*F+3*F) + F*s*s*W + W
		macs := 9*F*(c.cin*S*S+F*((S/2)*(S/2)+(S/4)*(S/4)+(S/8)*(S/8))) + F*s*s*W
		m := NewConv4[float32](c.cin, S, F, W)
		if m.ParamCount() != params || m.MACs() != macs || params != c.params || macs != c.macs {
			t.Errorf("%+v: ParamCount %d MACs %d, closed form %d and %d", c, m.ParamCount(), m.MACs(), params, macs)
		}
		var _ Costed = m
	}
}
