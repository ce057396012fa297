//go:build !unix

package main

// restrictFileModes does nothing where there is no umask.
func restrictFileModes() {}
