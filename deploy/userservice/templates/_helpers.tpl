{{/* Names and labels shared by every object. */}}
{{- define "userservice.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "userservice.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selector labels of one role: call with (dict "root" $ "role" $name) */}}
{{- define "userservice.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "userservice.secretName" -}}
{{- if .Values.existingSecret -}}{{ .Values.existingSecret }}{{- else -}}{{ include "userservice.fullname" . }}{{- end -}}
{{- end -}}

{{- define "userservice.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The secret keys every container reads (optional ones may be absent). */}}
{{- define "userservice.secretEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ include "userservice.secretName" . }}, key: DATABASE_URL}
{{- range $key := list "CONSOLE_SESSION_KEY" "SMTP_PASSWORD" "HRIS_TOKEN" }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef: {name: {{ include "userservice.secretName" $ }}, key: {{ $key }}, optional: true}
{{- end }}
{{- end -}}

{{/* The outbox rows not yet relayed by the relay's consumer group, over every shard (KEDA). */}}
{{- define "userservice.outboxLagQuery" -}}
{{- $group := .Values.config.RELAY_CONSUMER_GROUP | default "kafka-relay" -}}
SELECT coalesce(sum(n), 0) FROM (
{{- range $i, $shard := until (int .Values.outboxShards) }}
{{- if $i }} UNION ALL{{ end }}
SELECT count(*) AS n FROM watermill_user_events_{{ $shard }} o LEFT JOIN watermill_offsets_user_events_{{ $shard }} p ON p.consumer_group = '{{ $group }}' WHERE p.consumer_group IS NULL OR (o.transaction_id, o."offset") > (p.last_processed_transaction_id, p.offset_acked)
{{- end }}
) lag
{{- end -}}
