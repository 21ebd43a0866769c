package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/metabench/metabench/datasets"
)

const datasetsUsage = `usage: metabench datasets info [--format text|json] [--size S] [--subset NAME] PATH

Prints what a source holds: format, classes, images per class, image shape
and groups (the alphabets of Omniglot). PATH is a file or folder whose format
is recognised from its contents, FORMAT:PATH to force a format, or "default"
for the embedded Omniglot background set. Formats: ` + "omniglot-npz, omniglot-zip, omniglot-dir, idx, cifar-bin, cifar-png, miniimagenet, imagenet-npz, svhn" + `.
`

func cmdDatasets(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, datasetsUsage)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, datasetsUsage)
		return 0
	}
	if args[0] != "info" {
		return misuse(stderr, "datasets", datasetsUsage, fmt.Errorf("unknown action %q (want info)", args[0]))
	}
	fs := flag.NewFlagSet("datasets info", flag.ContinueOnError)
	format := fs.String("format", "text", "output format: text or json")
	size := fs.Int("size", 0, "resize images to SIZE x SIZE (0 = the format's default)")
	subset := fs.String("subset", "", "which files of the source: train/test (IDX, CIFAR), train/val/test (mini-ImageNet)")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return misuse(stderr, "datasets", datasetsUsage, err)
	}
	if len(pos) != 1 {
		return misuse(stderr, "datasets", datasetsUsage, fmt.Errorf("info takes one PATH, got %d arguments", len(pos)))
	}
	if *format != "text" && *format != "json" {
		return misuse(stderr, "datasets", datasetsUsage, fmt.Errorf("--format %q: want text or json", *format))
	}
	if *size < 0 {
		return misuse(stderr, "datasets", datasetsUsage, fmt.Errorf("--size %d: want >= 0", *size))
	}
	ds, err := datasets.Open(pos[0], datasets.Options{Size: *size, Subset: *subset})
	if err != nil {
		return fail(stderr, "datasets", err)
	}
	in := ds.Info()
	if *format == "json" {
		b, err := json.Marshal(in)
		if err != nil {
			return fail(stderr, "datasets", err)
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	var b strings.Builder
	fmt.Fprintf(&b, "path:      %s\n", in.Path)
	fmt.Fprintf(&b, "format:    %s\n", in.Format)
	fmt.Fprintf(&b, "name:      %s\n", in.Name)
	fmt.Fprintf(&b, "images:    %d\n", in.Images)
	fmt.Fprintf(&b, "classes:   %d\n", in.Classes)
	fmt.Fprintf(&b, "per class: min %d, max %d\n", in.MinPerClass, in.MaxPerClass)
	fmt.Fprintf(&b, "shape:     %dx%dx%d (C x H x W)\n", in.Channels, in.Height, in.Width)
	if len(in.Groups) > 0 {
		parts := make([]string, len(in.Groups))
		for j, g := range in.Groups {
			parts[j] = fmt.Sprintf("%s (%d)", g, in.ClassesPerGrp[j])
		}
		fmt.Fprintf(&b, "groups:    %d: %s\n", len(in.Groups), strings.Join(parts, ", "))
	}
	fmt.Fprint(stdout, b.String())
	return 0
}
