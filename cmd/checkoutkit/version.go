package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/checkoutkit/checkoutkit"
)

func runVersion(args []string, e env) error {
	fs := newFlags("version", "version", "  checkoutkit version   # e.g. checkoutkit "+checkoutkit.Version+" (module v"+checkoutkit.Version+", go1.26.0)", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version takes no arguments, got %q", fs.Arg(0))
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(e.stdout, versionLine(bi))
	return nil
}

// versionLine is what version prints: the SDK's version, then where the
// binary came from and the Go that built it.
//
//	checkoutkit 0.3.0 (module v0.3.0, go1.26.0)                                  go install …@v0.3.0 or @latest
//	checkoutkit 0.3.0 (clone at 1a2b3c4d5e6f, 2026-12-01, local changes, go1.26.0)  go install ./cmd/checkoutkit in a clone
//	checkoutkit 0.3.0 (development build, go1.26.0)                               go run, or a build outside a VCS checkout
func versionLine(bi *debug.BuildInfo) string {
	if bi == nil {
		return fmt.Sprintf("checkoutkit %s (development build)", checkoutkit.Version)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var from string
	switch v := bi.Main.Version; {
	case settings["vcs.revision"] != "":
		rev := settings["vcs.revision"]
		from = "clone at " + rev[:min(12, len(rev))]
		if t := settings["vcs.time"]; len(t) >= 10 {
			from += ", " + t[:10]
		}
		if settings["vcs.modified"] == "true" {
			from += ", local changes"
		}
	case v != "" && v != "(devel)" && !strings.Contains(v, "+dirty"):
		from = "module " + v
	default:
		from = "development build"
	}
	return fmt.Sprintf("checkoutkit %s (%s, %s)", checkoutkit.Version, from, bi.GoVersion)
}
