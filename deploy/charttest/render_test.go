// Package charttest renders the userservice Helm chart (deploy/userservice)
// with Helm v4 as a library and decodes every object strictly into the
// Kubernetes API types. It is a module of its own so that the service's
// module does not take the Kubernetes dependencies.
package charttest

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

var chartDir = filepath.Join("..", "userservice")

// roles are the Deployments the default values enable (hris-sync needs an
// HRIS and is off by default).
var roles = []string{"api", "directory", "importer", "notifier", "relay"}

// rendered is one render of the chart: the hooks and the other objects,
// decoded.
type rendered struct {
	deployments map[string]*appsv1.Deployment // by role
	pdbs        map[string]*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	scaled      map[string]*ScaledObject // by role
	triggerAuth []*TriggerAuthentication
	jobs        []*batchv1.Job
	hooks       []*release.Hook
	secrets     []*corev1.Secret
	configMaps  []*corev1.ConfigMap
	services    []*corev1.Service
}

// render renders the chart with the default values overlaid by vals
// (as `helm template --set` would) and decodes every object strictly.
func render(t *testing.T, vals map[string]any) (*rendered, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	if vals == nil {
		vals = map[string]any{}
	}
	opts := common.ReleaseOptions{Name: "users", Namespace: "identity", Revision: 1, IsInstall: true}
	values, err := util.ToRenderValues(ch, vals, opts, common.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	files, err := engine.Engine{Strict: true}.Render(ch, values)
	if err != nil {
		return nil, err
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("sort manifests: %w", err)
	}
	r := &rendered{deployments: map[string]*appsv1.Deployment{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		scaled: map[string]*ScaledObject{}, hooks: hooks}
	docs := make([]string, 0, len(manifests)+len(hooks))
	for _, m := range manifests {
		docs = append(docs, m.Content)
	}
	for _, h := range hooks {
		docs = append(docs, h.Manifest)
	}
	for _, doc := range docs {
		if err := r.decode(doc); err != nil {
			t.Errorf("%v\n%s", err, doc)
		}
	}
	return r, nil
}

// decode reads one object into its API type; a field the type does not
// have fails (yaml.UnmarshalStrict), as does a kind this test does not know.
func (r *rendered) decode(doc string) error {
	var head metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		return err
	}
	strict := func(into any) error {
		if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
			return fmt.Errorf("%s %s: %w", head.APIVersion, head.Kind, err)
		}
		return nil
	}
	component := func(m metav1.ObjectMeta) string { return m.Labels["app.kubernetes.io/component"] }
	switch head.APIVersion + " " + head.Kind {
	case "apps/v1 Deployment":
		var o appsv1.Deployment
		if err := strict(&o); err != nil {
			return err
		}
		r.deployments[component(o.ObjectMeta)] = &o
	case "policy/v1 PodDisruptionBudget":
		var o policyv1.PodDisruptionBudget
		if err := strict(&o); err != nil {
			return err
		}
		r.pdbs[component(o.ObjectMeta)] = &o
	case "autoscaling/v2 HorizontalPodAutoscaler":
		var o autoscalingv2.HorizontalPodAutoscaler
		if err := strict(&o); err != nil {
			return err
		}
		r.hpas = append(r.hpas, &o)
	case "keda.sh/v1alpha1 ScaledObject":
		var o ScaledObject
		if err := strict(&o); err != nil {
			return err
		}
		r.scaled[component(o.ObjectMeta)] = &o
	case "keda.sh/v1alpha1 TriggerAuthentication":
		var o TriggerAuthentication
		if err := strict(&o); err != nil {
			return err
		}
		r.triggerAuth = append(r.triggerAuth, &o)
	case "batch/v1 Job":
		var o batchv1.Job
		if err := strict(&o); err != nil {
			return err
		}
		r.jobs = append(r.jobs, &o)
	case "v1 Secret":
		var o corev1.Secret
		if err := strict(&o); err != nil {
			return err
		}
		r.secrets = append(r.secrets, &o)
	case "v1 ConfigMap":
		var o corev1.ConfigMap
		if err := strict(&o); err != nil {
			return err
		}
		r.configMaps = append(r.configMaps, &o)
	case "v1 Service":
		var o corev1.Service
		if err := strict(&o); err != nil {
			return err
		}
		r.services = append(r.services, &o)
	default:
		return fmt.Errorf("unexpected object %s %s: add it to the test", head.APIVersion, head.Kind)
	}
	return nil
}

var defaults = map[string]any{"secrets": map[string]any{"DATABASE_URL": "postgres://u:p@db:5432/users"}}

func TestChartRendersEveryRoleWithProbesAndALockedDownPod(t *testing.T) {
	r, err := render(t, defaults)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, 0, len(r.deployments))
	for role := range r.deployments {
		got = append(got, role)
	}
	slices.Sort(got)
	if !slices.Equal(got, roles) {
		t.Fatalf("Deployments for roles %v, want %v", got, roles)
	}
	for role, d := range r.deployments {
		pod := d.Spec.Template.Spec
		if len(pod.Containers) != 1 {
			t.Fatalf("%s: %d containers, want 1", role, len(pod.Containers))
		}
		c := pod.Containers[0]
		if !slices.Equal(c.Args, []string{"--roles", role}) {
			t.Errorf("%s: args %v, want --roles %s", role, c.Args, role)
		}
		for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			want := "/healthz"
			if name == "readiness" {
				want = "/readyz"
			}
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || p.HTTPGet.Port.String() != "ops" {
				t.Errorf("%s: %s probe %+v, want GET %s on the ops port", role, name, p, want)
			}
		}
		if !hasPort(c, "ops", 9090) || (role == "api") != hasPort(c, "http", 8080) {
			t.Errorf("%s: ports %+v", role, c.Ports)
		}
		if env(c, "OPS_ADDR") != "0.0.0.0:9090" {
			t.Errorf("%s: OPS_ADDR %q, want 0.0.0.0:9090 (the probes' port)", role, env(c, "OPS_ADDR"))
		}
		if c.Env[0].Name != "DATABASE_URL" || c.Env[0].ValueFrom == nil || c.Env[0].ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: DATABASE_URL must come from the Secret, got %+v", role, c.Env[0])
		}
		checkLockedDown(t, role, pod.SecurityContext, c.SecurityContext)
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: resources %+v want cpu requests and a memory limit", role, c.Resources)
		}
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Errorf("%s: the service account token is mounted; no role talks to the Kubernetes API", role)
		}
		pdb := r.pdbs[role]
		if pdb == nil {
			t.Errorf("%s: no PodDisruptionBudget", role)
		} else if !selects(pdb.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("%s: the PodDisruptionBudget's selector %v does not select the pods %v", role, pdb.Spec.Selector, d.Spec.Template.Labels)
		}
		if !selects(d.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("%s: the Deployment's selector does not select its pods", role)
		}
	}
	if len(r.configMaps) != 1 || r.configMaps[0].Data["MIGRATE_ON_START"] != "false" {
		t.Errorf("config maps %+v: want one, with MIGRATE_ON_START=false (the Job migrates)", r.configMaps)
	}
	if len(r.services) != 1 || r.services[0].Spec.Selector["app.kubernetes.io/component"] != "api" {
		t.Errorf("services %+v: want one, for the api", r.services)
	}
}

func TestChartMigratesInExactlyOnePreInstallPreUpgradeJob(t *testing.T) {
	r, err := render(t, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.jobs) != 1 {
		t.Fatalf("%d Jobs, want exactly one migration Job", len(r.jobs))
	}
	job := r.jobs[0]
	c := job.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Command, []string{"/usersctl", "migrate"}) {
		t.Errorf("migration Job runs %v, want /usersctl migrate", c.Command)
	}
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restart policy %q", job.Spec.Template.Spec.RestartPolicy)
	}
	checkLockedDown(t, "migrate", job.Spec.Template.Spec.SecurityContext, c.SecurityContext)
	var jobHook, secretHook *release.Hook
	for _, h := range r.hooks {
		switch h.Kind {
		case "Job":
			jobHook = h
		case "Secret":
			secretHook = h
		}
	}
	if jobHook == nil {
		t.Fatal("the migration Job is not a hook: it would run beside the new pods instead of before them")
	}
	if !slices.Contains(jobHook.Events, release.HookPreInstall) || !slices.Contains(jobHook.Events, release.HookPreUpgrade) {
		t.Errorf("migration hook events %v, want pre-install and pre-upgrade", jobHook.Events)
	}
	// The Job reads DATABASE_URL from the Secret: on a first install that
	// Secret must exist before the Job, so it is an earlier hook.
	if secretHook == nil || secretHook.Weight >= jobHook.Weight {
		t.Errorf("the Secret must be a hook weighted before the Job (secret %+v, job weight %d)", secretHook, jobHook.Weight)
	}
	for _, d := range r.deployments {
		for _, ctr := range d.Spec.Template.Spec.Containers {
			if slices.Contains(ctr.Command, "migrate") {
				t.Errorf("%s also migrates", d.Name)
			}
		}
	}

	off, err := render(t, map[string]any{"secrets": defaults["secrets"], "migrations": map[string]any{"enabled": false}})
	if err != nil {
		t.Fatal(err)
	}
	if len(off.jobs) != 0 || off.configMaps[0].Data["MIGRATE_ON_START"] != "true" {
		t.Errorf("migrations disabled: %d Jobs, MIGRATE_ON_START=%q; want none and the roles migrating on start",
			len(off.jobs), off.configMaps[0].Data["MIGRATE_ON_START"])
	}
}

func TestChartScalesTheApiOnCPUAndTheWorkersOnTheirBacklog(t *testing.T) {
	r, err := render(t, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.hpas) != 1 || r.hpas[0].Spec.ScaleTargetRef.Name != r.deployments["api"].Name || r.hpas[0].Spec.MaxReplicas < 2 {
		t.Fatalf("HPAs %+v: want one, on the api Deployment", r.hpas)
	}
	for _, role := range []string{"api", "importer", "relay"} {
		if r.deployments[role].Spec.Replicas != nil {
			t.Errorf("%s: replicas set to %d while an autoscaler owns the count (every upgrade would reset it)",
				role, *r.deployments[role].Spec.Replicas)
		}
	}
	if r.deployments["directory"].Spec.Replicas == nil || *r.deployments["directory"].Spec.Replicas != 2 {
		t.Errorf("directory replicas %v, want 2", r.deployments["directory"].Spec.Replicas)
	}
	imp, rel := r.scaled["importer"], r.scaled["relay"]
	if imp == nil || rel == nil {
		t.Fatalf("ScaledObjects %v: want the importer's and the relay's", r.scaled)
	}
	if imp.Spec.ScaleTargetRef.Name != r.deployments["importer"].Name || rel.Spec.ScaleTargetRef.Name != r.deployments["relay"].Name {
		t.Errorf("ScaledObjects target %q and %q", imp.Spec.ScaleTargetRef.Name, rel.Spec.ScaleTargetRef.Name)
	}
	if q := imp.Spec.Triggers[0].Metadata["query"]; !strings.Contains(q, "watermill_imports") {
		t.Errorf("importer scales on %q, want the import queue's depth", q)
	}
	q := rel.Spec.Triggers[0].Metadata["query"]
	for shard := range 4 {
		if !strings.Contains(q, fmt.Sprintf("watermill_offsets_user_events_%d ", shard)) {
			t.Errorf("relay lag query misses shard %d: %s", shard, q)
		}
	}
	if *rel.Spec.MaxReplicaCount != 4 || *rel.Spec.MinReplicaCount < 2 {
		t.Errorf("relay replicas %d..%d, want a standby (min 2) and at most the 4 shards", *rel.Spec.MinReplicaCount, *rel.Spec.MaxReplicaCount)
	}
	if len(r.triggerAuth) != 1 || r.triggerAuth[0].Spec.SecretTargetRef[0].Key != "DATABASE_URL" {
		t.Errorf("trigger authentications %+v", r.triggerAuth)
	}

	_, err = render(t, map[string]any{"secrets": defaults["secrets"],
		"roles": map[string]any{"relay": map[string]any{"keda": map[string]any{"maxReplicas": 5}}}})
	if err == nil || !strings.Contains(err.Error(), "exceeds the outbox shard count") {
		t.Errorf("relay maxReplicas 5 > 4 shards: err %v, want the chart to refuse", err)
	}
}

func TestChartTakesSecretsFromValuesOrAnExistingSecret(t *testing.T) {
	if _, err := render(t, nil); err == nil || !strings.Contains(err.Error(), "DATABASE_URL is required") {
		t.Errorf("no DATABASE_URL: err %v, want the chart to refuse", err)
	}
	r, err := render(t, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.secrets) != 1 || r.secrets[0].StringData["DATABASE_URL"] == "" {
		t.Fatalf("secrets %+v: want one holding DATABASE_URL", r.secrets)
	}
	for _, cm := range r.configMaps {
		for k, v := range cm.Data {
			if strings.Contains(v, "postgres://") {
				t.Errorf("the ConfigMap holds %s=%q: a credential in plain config", k, v)
			}
		}
	}
	ext, err := render(t, map[string]any{"existingSecret": "users-db"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ext.secrets) != 0 {
		t.Errorf("existingSecret set, yet the chart made %d Secrets", len(ext.secrets))
	}
	if ref := ext.deployments["api"].Spec.Template.Spec.Containers[0].Env[0].ValueFrom.SecretKeyRef; ref.Name != "users-db" {
		t.Errorf("DATABASE_URL from %q, want users-db", ref.Name)
	}
}

func checkLockedDown(t *testing.T, who string, pod *corev1.PodSecurityContext, c *corev1.SecurityContext) {
	t.Helper()
	switch {
	case pod == nil || pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot || pod.RunAsUser == nil || *pod.RunAsUser == 0:
		t.Errorf("%s: pod security context %+v, want a non-root user", who, pod)
	case c == nil || c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem:
		t.Errorf("%s: the root filesystem is writable", who)
	case c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation:
		t.Errorf("%s: privilege escalation allowed", who)
	case c.Capabilities == nil || !slices.Equal(c.Capabilities.Drop, []corev1.Capability{"ALL"}):
		t.Errorf("%s: capabilities %+v, want ALL dropped", who, c.Capabilities)
	}
}

func hasPort(c corev1.Container, name string, port int32) bool {
	return slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == name && p.ContainerPort == port })
}

func env(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func selects(sel *metav1.LabelSelector, labels map[string]string) bool {
	if sel == nil || len(sel.MatchLabels) == 0 {
		return false
	}
	for k, v := range sel.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	return true
}
