package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
)

// cmdParams prints the parameter count of the final network built from a
// genotype. The count comes from the same network construction that training
// uses (the declared parameter shapes), auxiliary head excluded.
func cmdParams(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("params", flag.ContinueOnError)
	fs.SetOutput(stderr)
	geno := fs.String("genotype", "", "built-in genotype ("+fmt.Sprint(genotype.BuiltinNames())+") or a YAML/JSON file")
	cells := fs.Int("cells", 20, "number of cells L (reductions at L/3 and 2L/3)")
	channels := fs.Int("channels", 36, "init channels C")
	classes := fs.Int("classes", 10, "number of classes K")
	imagenet := fs.Bool("imagenet", false, "ImageNet stem (three stride-2 convs) instead of the CIFAR stem")
	inCh := fs.Int("in-channels", 3, "image channels")
	verbose := fs.Bool("v", false, "also print the configuration and the count in millions")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: metabench params --genotype NAME|FILE [--cells L] [--channels C] [--classes K] [--imagenet]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "metabench params: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *geno == "" {
		fmt.Fprintln(stderr, "metabench params: --genotype is required (a built-in name or a file)")
		return 2
	}
	g, err := genotype.Load(*geno)
	if err != nil {
		return fail(stderr, "params", err)
	}
	cfg := search.FinalConfig{Cells: *cells, Channels: *channels, Classes: *classes, ImageNet: *imagenet, InChannels: *inCh}
	n, err := search.ParamCount(g, cfg)
	if err != nil {
		return fail(stderr, "params", err)
	}
	if *verbose {
		fmt.Fprintf(stdout, "genotype %s, L=%d, C=%d, K=%d, imagenet=%v: %d parameters (%.3f M)\n", g.Name, *cells, *channels, *classes, *imagenet, n, float64(n)/1e6)
		return 0
	}
	fmt.Fprintln(stdout, n)
	return 0
}
