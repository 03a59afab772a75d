package service

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

// The API's analytics carry every figure of runtime/analytics' report,
// each in its place: a report whose every field has a value of its own
// converts to one with the same values under the same names, and neither
// has a field the other lacks.
func TestAnalyticsReport(t *testing.T) {
	var rep analytics.Report
	n := 0
	fillDistinct(reflect.ValueOf(&rep).Elem(), &n)
	sameByName(t, "Analytics", reflect.ValueOf(rep), reflect.ValueOf(*analyticsReport(&rep)))
	// Lists that analytics left empty or nil stay so.
	empty := analytics.Report{Funnel: []analytics.FunnelStage{}}
	got := analyticsReport(&empty)
	if got.Funnel == nil || len(got.Funnel) != 0 || got.Paths != nil {
		t.Errorf("empty and nil lists: funnel %#v, paths %#v", got.Funnel, got.Paths)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// fillDistinct gives every field of v a value no other field has.
func fillDistinct(v reflect.Value, n *int) {
	*n++
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(time.Unix(int64(*n)*3600, 0).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fillDistinct(v.Field(i), n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillDistinct(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fillDistinct(v.Index(0), n)
		fillDistinct(v.Index(1), n)
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Bool:
		v.SetBool(*n%2 == 1)
	default:
		panic(fmt.Sprintf("fillDistinct: no value for %s", v.Type()))
	}
}

// sameByName checks that src and dst hold the same values under the same
// field names.
func sameByName(t *testing.T, path string, src, dst reflect.Value) {
	t.Helper()
	if src.Type() == timeType || dst.Type() == timeType {
		if !src.Interface().(time.Time).Equal(dst.Interface().(time.Time)) {
			t.Errorf("%s is %v, want %v", path, dst, src)
		}
		return
	}
	if src.Kind() != dst.Kind() {
		t.Errorf("%s is a %s in the API, a %s in analytics", path, dst.Type(), src.Type())
		return
	}
	switch src.Kind() {
	case reflect.Struct:
		for i := range dst.NumField() {
			name := dst.Type().Field(i).Name
			if _, ok := src.Type().FieldByName(name); !ok {
				t.Errorf("%s.%s has no counterpart in runtime/analytics", path, name)
				continue
			}
			sameByName(t, path+"."+name, src.FieldByName(name), dst.Field(i))
		}
		for i := range src.NumField() {
			if name := src.Type().Field(i).Name; !dst.FieldByName(name).IsValid() {
				t.Errorf("%s.%s of runtime/analytics is missing from apiv1", path, name)
			}
		}
	case reflect.Pointer:
		if src.IsNil() != dst.IsNil() {
			t.Errorf("%s: nil is %v in the API, %v in analytics", path, dst.IsNil(), src.IsNil())
			return
		}
		if !src.IsNil() {
			sameByName(t, path, src.Elem(), dst.Elem())
		}
	case reflect.Slice:
		if src.Len() != dst.Len() || src.IsNil() != dst.IsNil() {
			t.Errorf("%s has %d elements in the API, %d in analytics", path, dst.Len(), src.Len())
			return
		}
		for i := range src.Len() {
			sameByName(t, fmt.Sprintf("%s[%d]", path, i), src.Index(i), dst.Index(i))
		}
	case reflect.String:
		if src.String() != dst.String() {
			t.Errorf("%s is %q, want %q", path, dst.String(), src.String())
		}
	case reflect.Int, reflect.Int64:
		if src.Int() != dst.Int() {
			t.Errorf("%s is %d, want %d", path, dst.Int(), src.Int())
		}
	case reflect.Float64:
		if src.Float() != dst.Float() {
			t.Errorf("%s is %v, want %v", path, dst.Float(), src.Float())
		}
	case reflect.Bool:
		if src.Bool() != dst.Bool() {
			t.Errorf("%s is %v, want %v", path, dst.Bool(), src.Bool())
		}
	default:
		t.Errorf("%s: cannot compare a %s", path, src.Type())
	}
}
