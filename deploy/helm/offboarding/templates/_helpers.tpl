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

{{/* The Secret one component reads (secrets.names): each service its own, the migration job the owner's. */}}
{{- define "offboarding.secretName" -}}
{{- $ := index . 0 -}}
{{- required (printf "secrets.names.%s is required" (index . 1)) (index $.Values.secrets.names (index . 1)) -}}
{{- end -}}

{{/* A value from a component's own Secret, as an env entry. Arguments: list $ "component" "ENV_NAME" "secret-key" */}}
{{- define "offboarding.secretEnv" -}}
- name: {{ index . 2 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "offboarding.secretName" (list (index . 0) (index . 1)) }}
      key: {{ index . 3 }}
{{- end -}}

{{/* The environment every service and the migration job share. Arguments: dict "root" $ "service" name
     ("owner" true: the migration job, which connects as the schemas' owner, `database-url` of the migrations'
     Secret; a service connects as its own login, `database-url` of its own Secret). */}}
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
{{ include "offboarding.secretEnv" (list $ $service "KAFKA_SASL_PASSWORD" "kafka-sasl-password") }}
{{- end }}
{{- if $.Values.kafka.caSecret }}
- name: KAFKA_SSL_CAFILE
  value: /etc/offboarding/kafka/ca.pem
{{- end }}
{{- if not $cfg.stateless }}
{{ include "offboarding.secretEnv" (list $ (ternary "migrations" $service (default false .owner)) "DATABASE_URL" "database-url") }}
{{ include "offboarding.secretEnv" (list $ $service "OFFBOARDING_API_TOKENS" "api-tokens") }}
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
{{ include "offboarding.secretEnv" (list $ $service "ORCHESTRATOR_CONSOLE_SECRET" "console-secret") }}
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
{{ include "offboarding.secretEnv" (list $ $service "NOTIFIER_SMTP_PASSWORD" "smtp-password") }}
{{- end }}
{{- if $cfg.mailFrom }}
- name: NOTIFIER_MAIL_FROM
  value: {{ $cfg.mailFrom | quote }}
{{- end }}
{{- if $cfg.bounceDomain }}
- name: NOTIFIER_BOUNCE_DOMAIN
  value: {{ $cfg.bounceDomain | quote }}
{{- end }}
{{- if $cfg.feedbackPort }}
- name: NOTIFIER_FEEDBACK_SMTP_HOST
  value: 0.0.0.0
- name: NOTIFIER_FEEDBACK_SMTP_PORT
  value: {{ $cfg.feedbackPort | quote }}
{{- end }}
{{ include "offboarding.secretEnv" (list $ $service "NOTIFIER_RETURN_PATH_KEY" "return-path-key") }}
{{ include "offboarding.secretEnv" (list $ $service "NOTIFIER_ADDRESS_KEY" "address-key") }}
{{- if $cfg.dkim.enabled }}
- name: NOTIFIER_DKIM_SELECTOR
  value: {{ $cfg.dkim.selector | quote }}
{{- if $cfg.dkim.domain }}
- name: NOTIFIER_DKIM_DOMAIN
  value: {{ $cfg.dkim.domain | quote }}
{{- end }}
{{ include "offboarding.secretEnv" (list $ $service "NOTIFIER_DKIM_PRIVATE_KEY" "dkim-private-key") }}
{{- end }}
{{ include "offboarding.secretEnv" (list $ $service "NOTIFIER_WEBHOOK_SECRET" "webhook-secret") }}
{{- end }}
{{- if eq $service "billing-bridge" }}
{{- range $provider := list "stripe" "paddle" "chargebee" "recurly" "standard" }}
{{- $on := index $cfg.providers $provider }}
{{- if $on }}
{{- $upper := upper $provider }}
{{- if eq $provider "standard" }}
{{ include "offboarding.secretEnv" (list $ $service "BILLING_WEBHOOK_SECRET" "standard-webhook-secret") }}
{{- else if eq $provider "chargebee" }}
{{ include "offboarding.secretEnv" (list $ $service "BILLING_CHARGEBEE_WEBHOOK_CREDENTIALS" "chargebee-webhook-credentials") }}
{{ include "offboarding.secretEnv" (list $ $service "BILLING_CHARGEBEE_API_KEY" "chargebee-api-key") }}
{{- else }}
{{ include "offboarding.secretEnv" (list $ $service (printf "BILLING_%s_WEBHOOK_SECRET" $upper) (printf "%s-webhook-secret" $provider)) }}
{{ include "offboarding.secretEnv" (list $ $service (printf "BILLING_%s_API_KEY" $upper) (printf "%s-api-key" $provider)) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if eq $service "survey" }}
- name: SURVEY_PUBLIC_URL
  value: {{ $cfg.publicUrl | quote }}
{{ include "offboarding.secretEnv" (list $ $service "SURVEY_TOKEN_SECRET" "token-secret") }}
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
{{- /* reactivateUrlB2b -> REACTIVATE_URL_B2B (sprig's snakecase would split the digit: B_2B) */}}
- name: {{ printf "OFFBOARDING_%s" (regexReplaceAll "([a-z0-9])([A-Z])" $name "${1}_${2}" | upper) }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
