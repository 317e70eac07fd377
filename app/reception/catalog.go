package reception

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"motcua/app/audit"
	"motcua/app/catalog"
	"motcua/app/store"
)

// loadCatalog returns the installed catalog: the one imported or edited at
// this desk, else the built-in one.
func loadCatalog(st *store.Store) (*catalog.Catalog, error) {
	var b []byte
	err := st.View(func(x *store.Txn) error {
		var err error
		b, err = x.Get(store.KeyCatalog())
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return catalog.Default()
	}
	if err != nil {
		return nil, err
	}
	return catalog.Parse(bytes.NewReader(b))
}

// ImportCatalog installs a catalog published by the province. merge keeps
// procedures the new version no longer lists (inactive) so old dossiers
// still resolve; otherwise the new catalog replaces the old one. Older
// versions are refused (catalog.ErrOlderVersion).
func (s *Service) ImportCatalog(ctx context.Context, r io.Reader, merge bool, by Actor) (*catalog.Catalog, error) {
	next, err := catalog.Parse(r)
	if err != nil {
		return nil, err
	}
	cur := s.Catalog()
	var out *catalog.Catalog
	if merge {
		out, err = cur.Merge(next)
	} else {
		out, err = cur.Replace(next)
	}
	if err != nil {
		return nil, err
	}
	return out, s.installCatalog(out, by, fmt.Sprintf("import version %d", out.Version))
}

// SaveProcedure adds or changes one procedure of the installed catalog (an
// admin's edit at the desk). The catalog keeps its version, so the province's
// next release replaces the edit.
func (s *Service) SaveProcedure(ctx context.Context, p catalog.Procedure, by Actor) (*catalog.Catalog, error) {
	cur := s.Catalog()
	raw, err := cur.Marshal()
	if err != nil {
		return nil, err
	}
	next, err := catalog.Parse(bytes.NewReader(raw)) // a deep copy to edit
	if err != nil {
		return nil, err
	}
	replaced := false
	for i := range next.Procedures {
		if next.Procedures[i].Code == p.Code {
			next.Procedures[i], replaced = p, true
		}
	}
	if !replaced {
		next.Procedures = append(next.Procedures, p)
	}
	next.UpdatedAt = s.now().UTC()
	if !strings.Contains(next.Source, localEditMark) {
		next.Source += localEditMark
	}
	if err := next.Validate(); err != nil {
		return nil, err
	}
	return next, s.installCatalog(next, by, "edit "+p.Code)
}

const localEditMark = " (có chỉnh sửa tại xã)"

func (s *Service) installCatalog(c *catalog.Catalog, by Actor, summary string) error {
	raw, err := c.Marshal()
	if err != nil {
		return err
	}
	err = s.st.Update(func(x *store.Txn) error {
		before, err := x.Get(store.KeyCatalog())
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := x.Set(store.KeyCatalog(), raw); err != nil {
			return err
		}
		_, err = audit.Append(x, audit.Entry{At: s.now(), Actor: by.ID, Role: by.Role, Action: "install_catalog",
			Object: "settings/catalog", Before: audit.Digest(before), After: audit.Digest(raw), Summary: summary})
		return err
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.catalog = c
	s.mu.Unlock()
	return nil
}
