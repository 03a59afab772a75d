// Package providerscmd implements waymark providers, which lists the
// providers the configuration uses, and waymark providers schema, which
// prints what each accepts as the running provider reports it.
//
// It must not know how providers are found or run beyond the discovery and
// host packages' APIs.
package providerscmd
