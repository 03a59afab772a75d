// Package format gives a native-syntax Waymark file (*.wm.hcl, *.wmvars) its
// canonical layout: hclwrite's formatting with aligned "=", plus the
// cleanups that terraform fmt makes (a value written as a lone "${x}" becomes
// x; block labels are written quoted).
//
// It works on one file's bytes at a time. It must not know about the
// language's schema, the file system, or how diagnostics are shown.
package format
