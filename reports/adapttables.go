package reports

import (
	"fmt"
	"strings"
)

// Adaptation is one adaptation of a multi-task prior to a target
// (experiment.Adapt) as its table and figures show it: the curve of test
// accuracy after each epoch (epoch 0 is the start), the training time, the
// genotype derived from the adapted architecture and the trajectories of
// Figure 3.
type Adaptation struct {
	EpochCurve
	TrainSec float64
	Genotype string
	// Weights and Logits are the adapted shared weights and architecture
	// logits after each epoch, flattened (the points of Figure 3).
	Weights, Logits [][]float64
}

// FinalRow is one row of a final-network table (the paper's Tables 1-2): a
// final network trained on a target and scored on its test images, with
// the Wilson 95% interval of its error rate.
type FinalRow struct {
	Target   string  `json:"target"`
	Row      string  `json:"row"`
	Genotype string  `json:"genotype"`
	Error    float64 `json:"test_error"`
	Lo       float64 `json:"ci95_lo"`
	Hi       float64 `json:"ci95_hi"`
	N        int     `json:"test_images"`
	Params   int     `json:"params"`
	Cost     string  `json:"cost"`
	CostSec  float64 `json:"cost_sec"`
	TrainSec float64 `json:"final_train_sec"`
}

// SetScore sets the row's test error from wrong of n test images, with its
// Wilson 95% interval.
func (r *FinalRow) SetScore(wrong, n int) {
	iv := Wilson(wrong, n, 0.95)
	r.Error, r.Lo, r.Hi, r.N = float64(wrong)/float64(n), iv.Lo, iv.Hi, n
}

// FinalTarget is a target that has a table of final networks: the
// images its final networks trained on (of how many) and were scored on.
type FinalTarget struct {
	Name                        string
	TrainImages, TrainOf, Tests int
	Size                        int // images are Size x Size
}

// FinalSetup is how the final networks of an adapt run were trained.
type FinalSetup struct {
	Cells, Channels, StemStride, Epochs, Batch int
	LR                                         float64
}

// AdaptTables is what an adaptation run shows: every adaptation, the prior's
// own genotype (derived by Rule) and, when final networks were trained,
// their table per target.
type AdaptTables struct {
	Rule, PriorGenotype string
	Adaptations         []Adaptation
	Final               FinalSetup
	Targets             []FinalTarget
	Rows                []FinalRow
}

// pct is a fraction in percent with one decimal.
func pct(x float64) string { return fmt.Sprintf("%.1f", 100*x) }

// paramsString is a parameter count in thousands or millions.
func paramsString(n int) string {
	if n >= 1e6 {
		return fmt.Sprintf("%.2f M", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f k", float64(n)/1e3)
}

// Markdown renders the adaptations and the Tables 1-2 rows.
func (t *AdaptTables) Markdown() string {
	var b strings.Builder
	t.writeAdaptations(&b)
	if len(t.Rows) == 0 {
		return b.String()
	}
	f := t.Final
	fmt.Fprintf(&b, "\n## Final networks (Tables 1-2 shape): %d cells, C = %d, stem stride %d, %d epochs, batch %d, SGD lr %g cosine\n",
		f.Cells, f.Channels, f.StemStride, f.Epochs, f.Batch, f.LR)
	for _, d := range t.Targets {
		t.writeTarget(&b, d)
	}
	b.WriteString("\nPaper (full scale, for reference): CIFAR-10 BASE-tuned 2.83% error, 3.1 M params, 0.05 GPU-days adaptation; DARTS 2.76 ± 0.09%, 3.3 M (Table 1); SVHN BASE-tuned 2.01%, 3.2 M (Table 2).\n")
	return b.String()
}

// writeAdaptations writes the table of adaptations (one row per
// adaptation: accuracy before and after each epoch, time, genotype) and
// the prior's genotype.
func (t *AdaptTables) writeAdaptations(b *strings.Builder) {
	b.WriteString("## Adaptation of the multi-task prior (test accuracy %, Figure 4)\n\n")
	b.WriteString("| target | architecture | epoch 0 (prior) | after each epoch | adaptation time | derived genotype |\n|---|---|---|---|---|---|\n")
	for _, a := range t.Adaptations {
		var accs []string
		for _, x := range a.Acc[1:] {
			accs = append(accs, pct(x))
		}
		g := "`" + a.Genotype + "`"
		if a.Arch == ArchFrozen {
			g = "(the prior's)"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", a.Target, a.Arch, pct(a.Acc[0]), strings.Join(accs, ", "),
			FormatDuration(a.TrainSec), g)
	}
	fmt.Fprintf(b, "\nPrior's own genotype (softmax of Θ's α, %s rule): `%s`\n", t.Rule, t.PriorGenotype)
}

// writeTarget writes the table of target d's final networks.
func (t *AdaptTables) writeTarget(b *strings.Builder, d FinalTarget) {
	fmt.Fprintf(b, "\n### %s (%d training images of %d, %d test images, %dx%d)\n\n", d.Name, d.TrainImages, d.TrainOf, d.Tests, d.Size, d.Size)
	b.WriteString("| architecture | test error % [95% Wilson CI] | params | search / adaptation cost | genotype |\n|---|---|---|---|---|\n")
	for _, r := range t.Rows {
		if r.Target != d.Name {
			continue
		}
		fmt.Fprintf(b, "| %s | %s [%s, %s] | %s | %s | `%s` |\n", r.Row, pct(r.Error), pct(r.Lo), pct(r.Hi),
			paramsString(r.Params), r.Cost, r.Genotype)
	}
}

// WriteAdaptFigures writes the figures of an adaptation run into dir:
// adaptation (Figure 4: every adaptation's curve) and pca_weights and
// pca_arch (Figure 3: the trajectories of the adapted shared weights and
// architecture logits from the prior, without the runs from scratch; a
// panel whose points do not move is left out), each as PNG and SVG. It
// returns the paths written.
func WriteAdaptFigures(dir string, runs []Adaptation) ([]string, error) {
	curves := make([]EpochCurve, len(runs))
	for i, r := range runs {
		curves[i] = r.EpochCurve
	}
	p, err := EpochCurvesPlot("Adapting the multi-task prior (Figure 4)", "DARTS super-network from scratch", curves)
	if err != nil {
		return nil, err
	}
	paths, err := SaveFigure(p, dir, "adaptation")
	if err != nil {
		return nil, err
	}
	color := targetColors(curves)
	for _, kind := range []string{"weights", "arch"} {
		ps, err := writePCAFigure(dir, kind, runs, color)
		if err != nil {
			return nil, err
		}
		paths = append(paths, ps...)
	}
	return paths, nil
}

// writePCAFigure writes pca_<kind> (kind weights or arch) of the runs from
// the prior: one trajectory per run, coloured by target, hollow when the
// architecture was frozen (those have no architecture trajectory). It
// writes nothing when the points cannot be projected (nothing moved).
func writePCAFigure(dir, kind string, runs []Adaptation, color map[string]int) ([]string, error) {
	var pts [][]float64
	var groups []Trajectory
	var spans [][2]int
	for _, r := range runs {
		if (kind == "arch" && r.Arch == ArchFrozen) || r.Arch == ArchScratch {
			continue
		}
		g := Trajectory{Name: r.Target, Color: color[r.Target], Hollow: r.Arch == ArchFrozen}
		if g.Hollow {
			g.Name += " (architecture frozen)"
		}
		lo := len(pts)
		if kind == "weights" {
			pts = append(pts, r.Weights...)
		} else {
			pts = append(pts, r.Logits...)
		}
		groups, spans = append(groups, g), append(spans, [2]int{lo, len(pts)})
	}
	pr, err := PCA2(pts)
	if err != nil {
		return nil, nil // nothing moved (0 epochs): no figure
	}
	for i, sp := range spans {
		groups[i].X, groups[i].Y = pr.X[sp[0]:sp[1]], pr.Y[sp[0]:sp[1]]
	}
	title := "PCA of the adapted shared weights (Figure 3)"
	if kind == "arch" {
		title = "PCA of the adapted architecture logits (Figure 3)"
	}
	p, err := PCAPlot(title, pr.Explained, groups)
	if err != nil {
		return nil, err
	}
	return SaveFigure(p, dir, "pca_"+kind)
}
