package apps_test

import (
	"testing"

	"github.com/orgplane/orgplane/shared/apps"
)

func TestActorOf(t *testing.T) {
	cases := []struct {
		id   string
		want apps.Actor
	}{
		{"usr_01jbz8k6w3m4t5v6x7y8z9a0bc", apps.Actor{Type: apps.ActorUser, ID: "usr_01jbz8k6w3m4t5v6x7y8z9a0bc"}},
		{"key_01jbz8k6w3m4t5v6x7y8z9a0bc", apps.Actor{Type: apps.ActorAPIKey, ID: "key_01jbz8k6w3m4t5v6x7y8z9a0bc"}},
	}
	for _, tc := range cases {
		if got := apps.ActorOf(tc.id); got != tc.want {
			t.Errorf("ActorOf(%s) = %+v, want %+v", tc.id, got, tc.want)
		}
	}
	if got := apps.ScheduleActor("stop-idle-apps"); got.Type != apps.ActorSchedule || got.ID != "stop-idle-apps" {
		t.Errorf("ScheduleActor = %+v", got)
	}
}

func TestHealthFollowsStatus(t *testing.T) {
	if h := (apps.Instance{Status: apps.Running}).Health(); h != apps.Healthy {
		t.Errorf("running: %s", h)
	}
	if h := (apps.Instance{Status: apps.Stopped}).Health(); h != apps.Unavailable {
		t.Errorf("stopped: %s", h)
	}
}
