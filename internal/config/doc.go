// Package config turns a command line, an environment and an optional TOML
// file into the settings of a Haven command, starting with `haven serve`
// (Serve, LoadServe).
//
// Every setting is declared once, in a table of descriptors; flags, HAVEN_*
// environment variables, TOML keys and the --help text are all derived from
// that table, so they cannot drift apart. The sources are layered, lowest
// precedence first:
//
//	defaults < config file (--config / HAVEN_CONFIG) < HAVEN_* environment < flags
//
// Configuration is strict: an unknown flag, an unknown HAVEN_* variable and
// an unknown key in the file are errors, and loading reports every problem
// it finds at once (errors.Join), each naming the setting and where its
// value came from, so an operator fixes a deployment in one pass rather
// than one error per restart.
//
// The package does no I/O beyond reading the config file: it checks the
// syntax and consistency of settings, not whether the files they name exist.
package config
