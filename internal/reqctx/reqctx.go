// Package reqctx carries the request context of an application (end user,
// session, organisation, project, metadata and tags) in a context.Context.
//
// It is internal so that internal/instr can read it without importing the
// public observe package, which re-exports the setters. Values are
// immutable: every setter returns a derived context holding a new Values.
package reqctx

import (
	"context"
	"slices"
)

// Values is the request context in force. The zero value carries nothing.
type Values struct {
	User         string
	Session      string
	Organization string
	Project      string
	// Metadata maps keys to values; never mutated once stored.
	Metadata map[string]string
	// Tags is a set of labels, in order of addition, without duplicates;
	// never mutated once stored.
	Tags []string
}

// Empty reports whether v carries nothing.
func (v *Values) Empty() bool {
	return v == nil || (v.User == "" && v.Session == "" && v.Organization == "" && v.Project == "" &&
		len(v.Metadata) == 0 && len(v.Tags) == 0)
}

type key struct{}

// From returns the request context of ctx, or nil when there is none.
func From(ctx context.Context) *Values {
	if ctx == nil {
		return nil
	}
	v, _ := ctx.Value(key{}).(*Values)
	return v
}

// with returns ctx carrying a copy of its Values changed by f.
func with(ctx context.Context, f func(*Values)) context.Context {
	var nv Values
	if v := From(ctx); v != nil {
		nv = *v
	}
	f(&nv)
	return context.WithValue(ctx, key{}, &nv)
}

// WithUser returns ctx carrying the end user id.
func WithUser(ctx context.Context, id string) context.Context {
	return with(ctx, func(v *Values) { v.User = id })
}

// WithSession returns ctx carrying the session (conversation, thread) id.
func WithSession(ctx context.Context, id string) context.Context {
	return with(ctx, func(v *Values) { v.Session = id })
}

// WithOrganization returns ctx carrying the organisation id.
func WithOrganization(ctx context.Context, id string) context.Context {
	return with(ctx, func(v *Values) { v.Organization = id })
}

// WithProject returns ctx carrying the project id.
func WithProject(ctx context.Context, id string) context.Context {
	return with(ctx, func(v *Values) { v.Project = id })
}

// WithMetadata returns ctx carrying md merged over the metadata already in
// ctx (keys of md win). md is copied.
func WithMetadata(ctx context.Context, md map[string]string) context.Context {
	return with(ctx, func(v *Values) {
		m := make(map[string]string, len(v.Metadata)+len(md))
		for k, x := range v.Metadata {
			m[k] = x
		}
		for k, x := range md {
			m[k] = x
		}
		v.Metadata = m
	})
}

// WithTags returns ctx carrying tags added to the tags already in ctx
// (duplicates and empty tags are dropped).
func WithTags(ctx context.Context, tags ...string) context.Context {
	return with(ctx, func(v *Values) {
		t := slices.Clip(slices.Clone(v.Tags))
		for _, x := range tags {
			if x != "" && !slices.Contains(t, x) {
				t = append(t, x)
			}
		}
		v.Tags = t
	})
}
