package reception

import (
	"errors"
	"fmt"
	"strings"

	"motcua/app/store"
	"motcua/app/vntext"
)

// ErrNoComponent: a scan was bound to a component the dossier does not have.
var ErrNoComponent = errors.New("dossier has no such component")

// MarkDigitised records in x that a scan covers a component of the dossier,
// or every component when component is empty (a whole dossier scanned behind
// its receipt). It is for app/digitize, which binds scans inside its own
// transaction so that the binding and the flag cannot disagree.
func (s *Service) MarkDigitised(x *store.Txn, dossierID, component string) (Dossier, error) {
	d, err := DossierByID(x, dossierID)
	if err != nil {
		return Dossier{}, err
	}
	want := vntext.Fold(vntext.Clean(component))
	found := false
	for i := range d.Components {
		if want == "" || vntext.Fold(d.Components[i].Name) == want {
			d.Components[i].Digitised = true
			found = true
		}
	}
	if !found && want != "" {
		return Dossier{}, fmt.Errorf("%w: %q", ErrNoComponent, component)
	}
	d.UpdatedAt = s.now()
	return d, x.SetJSON(store.KeyDossier(d.ID), &d)
}

// DossierByCode finds a dossier by its code in x (a barcode, a QR cover
// sheet), read as the reader or the clerk typed it.
func DossierByCode(x *store.Txn, code string) (Dossier, error) {
	id, err := x.Get(store.KeyDossierCode(strings.ToUpper(strings.TrimSpace(code))))
	if errors.Is(err, store.ErrNotFound) {
		return Dossier{}, ErrNotFound
	} else if err != nil {
		return Dossier{}, err
	}
	return DossierByID(x, string(id))
}

// DossierByID reads a dossier in x.
func DossierByID(x *store.Txn, id string) (Dossier, error) {
	var d Dossier
	if err := x.GetJSON(store.KeyDossier(id), &d); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Dossier{}, ErrNotFound
		}
		return Dossier{}, err
	}
	return d, nil
}
