package bus

import (
	"context"
	"testing"

	"re6st-tui/node/state"
)

func TestDeliversInOrder(t *testing.T) {
	b := New(8)
	ch := b.Subscribe(context.Background())
	for i := 0; i < 5; i++ {
		b.Publish(state.Event{Kind: state.KindLog, Log: &state.LogRecord{Message: string(rune('a' + i))}})
	}
	for i := 0; i < 5; i++ {
		if ev := <-ch; ev.Log.Message != string(rune('a'+i)) {
			t.Fatalf("event %d = %q", i, ev.Log.Message)
		}
	}
}

func TestLaggingSubscriberIsDropped(t *testing.T) {
	b := New(2)
	slow := b.Subscribe(context.Background())
	fast := b.Subscribe(context.Background())
	for i := 0; i < 3; i++ {
		b.Publish(state.Event{Kind: state.KindStatus})
		<-fast
	}
	var kinds []state.Kind
	for ev := range slow {
		kinds = append(kinds, ev.Kind)
	}
	if len(kinds) != 3 || kinds[2] != state.KindLagged {
		t.Fatalf("slow subscriber got %v, want two events then lagged and close", kinds)
	}
	b.Publish(state.Event{Kind: state.KindStatus})
	if ev := <-fast; ev.Kind != state.KindStatus {
		t.Fatal("the fast subscriber lost events because of the slow one")
	}
}

func TestContextEndsSubscription(t *testing.T) {
	b := New(2)
	ctx, cancel := context.WithCancel(context.Background())
	ch := b.Subscribe(ctx)
	cancel()
	for range ch {
	}
	b.Close()
	if _, ok := <-b.Subscribe(context.Background()); ok {
		t.Error("subscribing to a closed bus gives an open channel")
	}
}
