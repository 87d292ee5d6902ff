package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The read path is cache-aside. A hit is served from Redis. Concurrent
// misses of the same key share one database load (singleflight), which also
// writes the result back, absent IDs included, so a storm of requests for a
// missing ID reaches the database once per negative TTL. When Redis fails,
// reads go to the database and keep working.
//
// Freshness: every write bumps the product's version and, once committed,
// invalidates the entry with that version; Fill refuses anything older, so
// a load that raced the write cannot put stale data back. A read can still
// see the previous value while the write's invalidation is in flight, or if
// it joins a database load that started before the write committed: a few
// milliseconds at most, LoadTimeout in the worst case.

// product returns the product with id, or an error wrapping ErrNotFound.
func (d *Deps) product(ctx context.Context, id int64) (*Product, error) {
	if e, ok := d.cached(ctx, []int64{id})[id]; ok {
		if e.Product == nil {
			return nil, fmt.Errorf("product %d (cached absence): %w", id, ErrNotFound)
		}
		return e.Product, nil
	}
	return d.loadOne(ctx, id)
}

// products returns the existing products among ids (which must be
// distinct), keyed by ID.
func (d *Deps) products(ctx context.Context, ids []int64) (map[int64]*Product, error) {
	out := make(map[int64]*Product, len(ids))
	hits := d.cached(ctx, ids)
	var missing []int64
	for _, id := range ids {
		e, ok := hits[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case e.Product != nil:
			out[id] = e.Product
		}
	}
	switch len(missing) {
	case 0:
		return out, nil
	case 1:
		// One miss shares the load of a GetProduct of the same ID.
		p, err := d.loadOne(ctx, missing[0])
		if errors.Is(err, ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out[p.ID] = p
		return out, nil
	}
	loaded, err := d.loadMany(ctx, missing)
	if err != nil {
		return nil, err
	}
	for id, p := range loaded {
		out[id] = p
	}
	return out, nil
}

func (d *Deps) loadOne(ctx context.Context, id int64) (*Product, error) {
	v, err := d.coalesce(ctx, "p:"+strconv.FormatInt(id, 10), func(ctx context.Context) (any, error) {
		p, err := d.Products.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			d.fill(ctx, []CacheEntry{{ID: id}})
			return (*Product)(nil), nil
		}
		if err != nil {
			return nil, fmt.Errorf("load product %d: %w", id, err)
		}
		d.fill(ctx, []CacheEntry{{ID: id, Version: p.Version, Product: p}})
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	p := v.(*Product)
	if p == nil {
		return nil, fmt.Errorf("product %d: %w", id, ErrNotFound)
	}
	return p, nil
}

// loadMany coalesces identical batches only: a batch is keyed by its sorted
// set of missing IDs.
func (d *Deps) loadMany(ctx context.Context, ids []int64) (map[int64]*Product, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	var key strings.Builder
	key.WriteString("b:")
	for i, id := range ids {
		if i > 0 {
			key.WriteByte(',')
		}
		key.WriteString(strconv.FormatInt(id, 10))
	}
	v, err := d.coalesce(ctx, key.String(), func(ctx context.Context) (any, error) {
		rows, err := d.Products.GetMany(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("load %d products: %w", len(ids), err)
		}
		byID := make(map[int64]*Product, len(rows))
		for _, p := range rows {
			byID[p.ID] = p
		}
		entries := make([]CacheEntry, len(ids))
		for i, id := range ids {
			entries[i] = CacheEntry{ID: id}
			if p, ok := byID[id]; ok {
				entries[i].Version, entries[i].Product = p.Version, p
			}
		}
		d.fill(ctx, entries)
		return byID, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[int64]*Product), nil
}

// coalesce runs load once for all concurrent callers of key. The load is
// detached from the first caller's cancellation, so one impatient caller
// cannot fail the others, and is bounded by LoadTimeout instead. The result
// is shared: callers must not modify it.
func (d *Deps) coalesce(ctx context.Context, key string, load func(context.Context) (any, error)) (any, error) {
	ch := d.flights.DoChan(key, func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.LoadTimeout)
		defer cancel()
		return load(lctx)
	})
	select {
	case res := <-ch:
		return res.Val, res.Err
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for load %s: %w", key, ctx.Err())
	}
}

// cached returns the cache's entries for ids; a failing cache counts as
// empty so reads fall back to the database.
func (d *Deps) cached(ctx context.Context, ids []int64) map[int64]CacheEntry {
	hits, err := d.Cache.Get(ctx, ids)
	if err != nil {
		d.Logger.WarnContext(ctx, "product cache read failed, reading the database", "err", err)
		return nil
	}
	return hits
}

func (d *Deps) fill(ctx context.Context, entries []CacheEntry) {
	if err := d.Cache.Fill(ctx, entries); err != nil {
		d.Logger.WarnContext(ctx, "product cache fill failed", "err", err)
	}
}

// invalidate runs after a write committed. It is detached from the
// caller's cancellation (Redis timeouts bound it) because a committed write
// must invalidate even when its caller has gone. A failure leaves the old
// entry until its TTL, the one way a read can be stale for longer than a
// moment, so it is logged as an error.
func (d *Deps) invalidate(ctx context.Context, rows []RowVersion) {
	if len(rows) == 0 {
		return
	}
	if err := d.Cache.Invalidate(context.WithoutCancel(ctx), rows); err != nil {
		d.Logger.ErrorContext(ctx, "product cache invalidation failed; entries may be stale until their TTL",
			"rows", fmt.Sprint(rows), "err", err)
	}
}
