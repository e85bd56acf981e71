package observe

import (
	"context"

	"github.com/tracekit-go/tracekit/internal/reqctx"
)

// WithUser returns a context carrying the end user id. Every span started
// below it carries user.id; LLM spans also carry gen_ai.request.user when the
// request names no user itself.
func WithUser(ctx context.Context, id string) context.Context { return reqctx.WithUser(ctx, id) }

// WithSession returns a context carrying the session (conversation, thread)
// id, recorded as session.id (Tracekit, OpenInference) or
// gen_ai.conversation.id (OpenTelemetry GenAI).
func WithSession(ctx context.Context, id string) context.Context {
	return reqctx.WithSession(ctx, id)
}

// WithOrganization returns a context carrying the organisation id
// (tracekit.organization.id).
func WithOrganization(ctx context.Context, id string) context.Context {
	return reqctx.WithOrganization(ctx, id)
}

// WithProject returns a context carrying the project id
// (tracekit.project.id).
func WithProject(ctx context.Context, id string) context.Context {
	return reqctx.WithProject(ctx, id)
}

// WithMetadata returns a context carrying md merged over the metadata
// already in ctx (keys of md win), recorded as tracekit.metadata.<key> or,
// with OpenInference, as the JSON object metadata. md is copied.
func WithMetadata(ctx context.Context, md map[string]string) context.Context {
	return reqctx.WithMetadata(ctx, md)
}

// WithTags returns a context carrying tags added to those already in ctx,
// recorded as tracekit.tags or, with OpenInference, tag.tags.
func WithTags(ctx context.Context, tags ...string) context.Context {
	return reqctx.WithTags(ctx, tags...)
}

// RequestContext is the request context carried by a context.
type RequestContext struct {
	// User, Session, Organization and Project are the ids set with
	// WithUser, WithSession, WithOrganization and WithProject ("" when
	// unset).
	User, Session, Organization, Project string
	// Metadata holds the pairs set with WithMetadata.
	Metadata map[string]string
	// Tags holds the tags set with WithTags, in order.
	Tags []string
}

// RequestContextFrom returns the request context of ctx (the zero value when
// there is none). The map and slice are copies.
func RequestContextFrom(ctx context.Context) RequestContext {
	v := reqctx.From(ctx)
	if v == nil {
		return RequestContext{}
	}
	rc := RequestContext{User: v.User, Session: v.Session, Organization: v.Organization, Project: v.Project}
	if len(v.Metadata) > 0 {
		rc.Metadata = make(map[string]string, len(v.Metadata))
		for k, x := range v.Metadata {
			rc.Metadata[k] = x
		}
	}
	rc.Tags = append([]string(nil), v.Tags...)
	return rc
}
