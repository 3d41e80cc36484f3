package oauthtest_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
)

// TestSnapshotTypesHaveOnlyExportedFields: the values tests read and
// compare (with reflect.DeepEqual, go-cmp's cmp.Diff...) hold no unexported
// field, which cmp.Diff panics on.
func TestSnapshotTypesHaveOnlyExportedFields(t *testing.T) {
	t.Parallel()
	for _, v := range []any{oauthtest.TokenInfo{}, oauthtest.CodeInfo{}, oauthtest.Request{}, oauthtest.Client{},
		oauthtest.User{}, oauthtest.Lifetimes{}, oauthtest.TokenContext{}, oauthtest.Users{}, oauthtest.QueuedLogin{}, oauthtest.Callback{}} {
		checkExported(t, reflect.TypeOf(v), reflect.TypeOf(v).Name())
	}
}

func checkExported(t *testing.T, typ reflect.Type, path string) {
	t.Helper()
	if typ.Kind() != reflect.Struct || typ == reflect.TypeOf(time.Time{}) {
		return
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			t.Errorf("%s.%s is unexported", path, f.Name)
		}
		checkExported(t, f.Type, path+"."+f.Name)
	}
}
