{{/* Names and labels shared by every resource. */}}
{{- define "offboarding.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "offboarding.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "offboarding.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "offboarding.fullname" .)) -}}
{{- end -}}

{{/* A value from the services' Secret, as an env entry. Arguments: list $ "ENV_NAME" "secret-key" */}}
{{- define "offboarding.secretEnv" -}}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "offboarding.secretName" (index . 0) }}
      key: {{ index . 2 }}
{{- end -}}

{{/* The environment every service and the migration job share. Arguments: dict "root" $ "service" name
     ("owner" true: the migration job, which connects as the schemas' owner; a service connects as its own
     database login, `database-url-<service>`, unless database.perServiceLogins is false). */}}
{{- define "offboarding.commonEnv" -}}
{{- $ := .root -}}
{{- $service := .service -}}
{{- $cfg := index $.Values.services $service -}}
{{- $prefix := $cfg.envPrefix | default (upper $service) -}}
- name: OFFBOARDING_ENV
  value: {{ $.Values.environment | quote }}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ $.Values.kafka.bootstrapServers | quote }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ $.Values.kafka.securityProtocol | quote }}
{{- if hasPrefix "SASL" $.Values.kafka.securityProtocol }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $.Values.kafka.saslMechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ (index $.Values.services $service).kafkaUser | default $service | quote }}
{{ include "offboarding.secretEnv" (list $ "KAFKA_SASL_PASSWORD" (printf "kafka-sasl-password-%s" $service)) }}
{{- end }}
{{- if $.Values.kafka.caSecret }}
- name: KAFKA_SSL_CAFILE
  value: /etc/offboarding/kafka/ca.pem
{{- end }}
{{- if not $cfg.stateless }}
{{- if or .owner (not $.Values.database.perServiceLogins) }}
{{ include "offboarding.secretEnv" (list $ "DATABASE_URL" "database-url") }}
{{- else }}
{{ include "offboarding.secretEnv" (list $ "DATABASE_URL" (printf "database-url-%s" $service)) }}
{{- end }}
{{ include "offboarding.secretEnv" (list $ "OFFBOARDING_API_TOKENS" "api-tokens") }}
{{- end }}
- name: {{ $prefix }}_LOG_FORMAT
  value: json
- name: {{ $prefix }}_TOPIC_PARTITIONS
  value: {{ $.Values.kafka.topicPartitions | quote }}
{{- if $.Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $.Values.otel.endpoint | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "offboarding-%s" $service | quote }}
{{- end }}
{{- end -}}
