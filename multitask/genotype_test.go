package multitask

import "github.com/metabench/metabench/search/genotype"

func genotypeBuiltin(name string) (*genotype.Genotype, bool) { return genotype.Builtin(name) }
