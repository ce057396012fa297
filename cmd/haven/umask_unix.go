//go:build unix

package main

import "syscall"

// restrictFileModes makes files and directories the process creates
// inaccessible to group and others (umask 077).
func restrictFileModes() { syscall.Umask(0o077) }
