package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseList parses a comma-separated flag value item by item; the error
// names the flag and the item.
func parseList[T any](flag, v, what string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, s := range splitList(v) {
		x, err := parse(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not %s", flag, s, what)
		}
		out = append(out, x)
	}
	return out, nil
}

// parseInts parses a flag's comma list of integers.
func parseInts(flag, v string) ([]int, error) {
	return parseList(flag, v, "an integer", strconv.Atoi)
}

// parseInt64s parses a flag's comma list of 64-bit integers (seeds).
func parseInt64s(flag, v string) ([]int64, error) {
	return parseList(flag, v, "an integer", func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
}

// parseFloats parses a flag's comma list of numbers.
func parseFloats(flag, v string) ([]float64, error) {
	return parseList(flag, v, "a number", func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
}
