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

{{/* What one service needs besides the common environment: its links, mail settings and own secrets. The
     migration job gets it too, so that `python -m <service> migrate` reads the same settings as the service
     (in production a service refuses to start without its real secrets; a data migration may need a key).
     Arguments: dict "root" $ "service" name */}}
{{- define "offboarding.serviceEnv" -}}
{{- $ := .root -}}
{{- $service := .service -}}
{{- $cfg := index $.Values.services $service -}}
{{- $prefix := $cfg.envPrefix | default (upper $service) -}}
{{- $fullname := include "offboarding.fullname" $ -}}
{{- include "offboarding.brandEnv" (dict "root" $ "service" $service) }}
{{- if eq $service "orchestrator" }}
- name: ORCHESTRATOR_NOTIFIER_URL
  value: "http://{{ $fullname }}-notifier:{{ $.Values.services.notifier.port }}"
- name: ORCHESTRATOR_SURVEY_URL
  value: "http://{{ $fullname }}-survey:{{ $.Values.services.survey.port }}"
- name: ORCHESTRATOR_CUSTOMER_PAGE_URL
  value: {{ $.Values.services.survey.publicUrl | quote }}
{{ include "offboarding.secretEnv" (list $ "ORCHESTRATOR_CONSOLE_SECRET" "console-secret") }}
{{- end }}
{{- if eq $service "notifier" }}
- name: NOTIFIER_PUBLIC_URL
  value: {{ $cfg.publicUrl | quote }}
- name: NOTIFIER_SMTP_HOST
  value: {{ $cfg.smtp.host | quote }}
- name: NOTIFIER_SMTP_PORT
  value: {{ $cfg.smtp.port | quote }}
- name: NOTIFIER_SMTP_STARTTLS
  value: {{ $cfg.smtp.starttls | quote }}
{{- if $cfg.smtp.username }}
- name: NOTIFIER_SMTP_USERNAME
  value: {{ $cfg.smtp.username | quote }}
{{ include "offboarding.secretEnv" (list $ "NOTIFIER_SMTP_PASSWORD" "smtp-password") }}
{{- end }}
- name: NOTIFIER_MAIL_FROM
  value: {{ $cfg.mailFrom | quote }}
- name: NOTIFIER_BOUNCE_DOMAIN
  value: {{ $cfg.bounceDomain | quote }}
{{- if $cfg.feedbackPort }}
- name: NOTIFIER_FEEDBACK_SMTP_HOST
  value: 0.0.0.0
- name: NOTIFIER_FEEDBACK_SMTP_PORT
  value: {{ $cfg.feedbackPort | quote }}
{{- end }}
{{ include "offboarding.secretEnv" (list $ "NOTIFIER_RETURN_PATH_KEY" "return-path-key") }}
{{ include "offboarding.secretEnv" (list $ "NOTIFIER_ADDRESS_KEY" "address-key") }}
{{- if $cfg.dkim.enabled }}
- name: NOTIFIER_DKIM_SELECTOR
  value: {{ $cfg.dkim.selector | quote }}
{{- if $cfg.dkim.domain }}
- name: NOTIFIER_DKIM_DOMAIN
  value: {{ $cfg.dkim.domain | quote }}
{{- end }}
{{ include "offboarding.secretEnv" (list $ "NOTIFIER_DKIM_PRIVATE_KEY" "dkim-private-key") }}
{{- end }}
{{ include "offboarding.secretEnv" (list $ "NOTIFIER_WEBHOOK_SECRET" "webhook-secret") }}
{{- end }}
{{- if eq $service "billing-bridge" }}
{{- range $provider := list "stripe" "paddle" "chargebee" "recurly" "standard" }}
{{- $on := index $cfg.providers $provider }}
{{- if $on }}
{{- $upper := upper $provider }}
{{- if eq $provider "standard" }}
{{ include "offboarding.secretEnv" (list $ "BILLING_WEBHOOK_SECRET" "billing-standard-webhook-secret") }}
{{- else if eq $provider "chargebee" }}
{{ include "offboarding.secretEnv" (list $ "BILLING_CHARGEBEE_WEBHOOK_CREDENTIALS" "billing-chargebee-webhook-credentials") }}
{{ include "offboarding.secretEnv" (list $ "BILLING_CHARGEBEE_API_KEY" "billing-chargebee-api-key") }}
{{- else }}
{{ include "offboarding.secretEnv" (list $ (printf "BILLING_%s_WEBHOOK_SECRET" $upper) (printf "billing-%s-webhook-secret" $provider)) }}
{{ include "offboarding.secretEnv" (list $ (printf "BILLING_%s_API_KEY" $upper) (printf "billing-%s-api-key" $provider)) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if eq $service "survey" }}
- name: SURVEY_PUBLIC_URL
  value: {{ $cfg.publicUrl | quote }}
{{ include "offboarding.secretEnv" (list $ "SURVEY_TOKEN_SECRET" "survey-token-secret") }}
{{- end }}
{{- range $key, $value := $cfg.env }}
- name: {{ printf "%s_%s" $prefix $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Your own wording (templates/wording.yaml): the ConfigMap's files, each at its path, as up to two volumes.
     Arguments: dict "root" $ "journeys" bool "messages" bool (which of them this pod mounts) */}}
{{- define "offboarding.wordingVolumes" -}}
{{- $ := .root -}}
{{- if and .journeys $.Values.wording.journeys }}
- name: wording-journeys
  configMap:
    name: {{ include "offboarding.fullname" $ }}-wording
    items:
      {{- range $name, $_ := $.Values.wording.journeys }}
      - {key: {{ printf "journeys__%s" $name | quote }}, path: {{ $name | quote }}}
      {{- end }}
{{- end }}
{{- if and .messages $.Values.wording.messages }}
- name: wording-messages
  configMap:
    name: {{ include "offboarding.fullname" $ }}-wording
    items:
      {{- range $path, $_ := $.Values.wording.messages }}
      - {key: {{ printf "messages__%s" (replace "/" "__" $path) | quote }}, path: {{ $path | quote }}}
      {{- end }}
{{- end }}
{{- end -}}

{{/* Where a service reads them (the check job: "all"). Arguments: dict "root" $ "service" name */}}
{{- define "offboarding.wordingMounts" -}}
{{- $ := .root -}}
{{- if and $.Values.wording.journeys (has .service (list "orchestrator" "all")) }}
- {name: wording-journeys, mountPath: /etc/offboarding/wording/journeys, readOnly: true}
{{- end }}
{{- if and $.Values.wording.messages (has .service (list "notifier" "all")) }}
- {name: wording-messages, mountPath: /etc/offboarding/wording/messages, readOnly: true}
{{- end }}
{{- end -}}

{{/* The settings that point a service at your wording. Arguments: dict "root" $ "service" name */}}
{{- define "offboarding.wordingEnv" -}}
{{- $ := .root -}}
{{- if and $.Values.wording.journeys (eq .service "orchestrator") }}
- name: ORCHESTRATOR_TEMPLATES_DIR
  value: /etc/offboarding/wording/journeys
{{- end }}
{{- if and $.Values.wording.messages (eq .service "notifier") }}
- name: NOTIFIER_TEMPLATES_DIR
  value: /etc/offboarding/wording/messages
{{- end }}
{{- end -}}

{{/* The brand and the company's links: one configuration for the emails and the pages (OFFBOARDING_*). */}}
{{- define "offboarding.brandEnv" -}}
{{- $ := .root -}}
{{- if has .service (list "notifier" "survey") }}
{{- range $name, $value := $.Values.brand }}
{{- if $value }}
- name: {{ printf "OFFBOARDING_%s" ($name | snakecase | upper) }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
