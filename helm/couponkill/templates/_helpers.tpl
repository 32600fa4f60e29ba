{{/* Names and labels */}}
{{- define "couponkill.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "couponkill.labels" -}}
app.kubernetes.io/part-of: couponkill
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Labels of one component: (dict "root" $ "name" "grab-coupon") */}}
{{- define "couponkill.componentLabels" -}}
{{ include "couponkill.labels" .root }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{- end -}}

{{- define "couponkill.selectorLabels" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{- define "couponkill.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "couponkill.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{- define "couponkill.secretName" -}}
{{- default (printf "%s-secrets" (include "couponkill.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* Image of a function: (dict "root" $ "name" "grab-coupon" "fn" $fn) */}}
{{- define "couponkill.image" -}}
{{- $img := .root.Values.image -}}
{{- $own := .fn.image | default dict -}}
{{- if $own.ref -}}
{{- $own.ref -}}
{{- else -}}
{{- $repo := default (printf "%s/%s" $img.repository .name) $own.repository -}}
{{- if and $img.registry (not $own.repository) -}}{{- $repo = printf "%s/%s" $img.registry $repo -}}{{- end -}}
{{- $tag := default (default .root.Chart.AppVersion $img.tag) $own.tag -}}
{{- if $own.digest -}}{{ printf "%s:%s@%s" $repo $tag $own.digest }}{{- else -}}{{ printf "%s:%s" $repo $tag }}{{- end -}}
{{- end -}}
{{- end -}}

{{/* The facts of one function, from its manifest functions/<name>/function.yaml (copied into
     files/functions.json by scripts/functions.mjs): needs (what its code reads, see its
     src/config.ts), env (beyond the needs: a chart value path or a pod field), directPath,
     migrate, openapi, gateway. The operator is not a function: its facts are here.
     (dict "root" $ "name" "grab-coupon") → JSON */}}
{{- define "couponkill.facts" -}}
{{- $facts := dict "name" .name "needs" (list "mysql" "redis" "kafka" "coupons") "env" (list (dict "name" "ORDER_WORKER_GROUP" "value" "kafkaSource.consumerGroup") (dict "name" "GRAB_TOPIC" "value" "kafka.topics.grabAccepted.name")) -}}
{{- if ne .name "operator" -}}
{{- $facts = dict "name" .name "needs" list "env" list -}}
{{- range (.root.Files.Get "files/functions.json" | fromJson).functions -}}
{{- if eq .name $.name }}{{ $facts = . }}{{ end -}}
{{- end -}}
{{- end -}}
{{- toJson $facts -}}
{{- end -}}

{{/* Functions whose request path must be fixed, so the activator is kept out of it
     (target-burst-capacity 0, min-scale >= 1): `directPath: true` in their manifests (user-auth
     and grab-coupon count the proxies in X-Forwarded-For to find the client address; create-order
     admits POSTs by the caller's mesh identity, which a proxy in between would replace). */}}
{{- define "couponkill.directPath" -}}
{{- $names := list -}}
{{- range (.Files.Get "files/functions.json" | fromJson).functions -}}
{{- if .directPath }}{{ $names = append $names .name }}{{ end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* Functions that apply database migrations (`migrate: true`), in manifest order. */}}
{{- define "couponkill.migrating" -}}
{{- $names := list -}}
{{- range (.Files.Get "files/functions.json" | fromJson).functions -}}
{{- if .migrate }}{{ $names = append $names .name }}{{ end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{- define "couponkill.kafkaBrokers" -}}
{{- if and .Values.middleware.enabled .Values.kafka.enabled -}}
{{- $brokers := list -}}
{{- range $i := until (int .Values.kafka.replicas) -}}{{- $brokers = append $brokers (printf "%s-kafka-%d.%s-kafka-headless.%s.svc.cluster.local:9092" (include "couponkill.fullname" $) $i (include "couponkill.fullname" $) $.Release.Namespace) -}}{{- end -}}
{{- join "," $brokers -}}
{{- else -}}
{{- required "kafka.brokers is required when the in-chart Kafka is off" (join "," .Values.kafka.brokers) -}}
{{- end -}}
{{- end -}}

{{- define "couponkill.inRedis" -}}{{ and .Values.middleware.enabled .Values.redis.enabled }}{{- end -}}
{{- define "couponkill.inMysql" -}}{{ and .Values.middleware.enabled .Values.mysql.enabled }}{{- end -}}
{{- define "couponkill.inNacos" -}}{{ and .Values.middleware.enabled .Values.nacos.enabled }}{{- end -}}

{{- define "couponkill.mysqlHost" -}}
{{- if eq (include "couponkill.inMysql" .) "true" -}}{{ printf "%s-mysql.%s.svc.cluster.local" (include "couponkill.fullname" .) .Release.Namespace }}
{{- else if .Values.mysql.replication.enabled -}}{{ required "mysql.replication.primary.host is required" .Values.mysql.replication.primary.host }}
{{- else -}}{{ .Values.mysql.host }}{{- end -}}
{{- end -}}

{{- define "couponkill.redisNodes" -}}
{{- if eq (include "couponkill.inRedis" .) "true" -}}
{{- $nodes := list -}}
{{- range $i := until (int .Values.redis.replicas) -}}{{- $nodes = append $nodes (printf "%s-redis-%d.%s-redis-headless.%s.svc.cluster.local:%d" (include "couponkill.fullname" $) $i (include "couponkill.fullname" $) $.Release.Namespace (ternary 26379 6379 (eq $.Values.redis.mode "sentinel"))) -}}{{- end -}}
{{- toJson $nodes -}}
{{- else if eq .Values.redis.mode "cluster" -}}{{ toJson .Values.redis.nodes }}
{{- else -}}{{ toJson .Values.redis.sentinels }}{{- end -}}
{{- end -}}

{{- define "couponkill.nacosAddr" -}}
{{- if eq (include "couponkill.inNacos" .) "true" -}}{{ printf "%s-nacos.%s.svc.cluster.local:8848" (include "couponkill.fullname" .) .Release.Namespace }}{{- else -}}{{ .Values.nacos.serverAddr }}{{- end -}}
{{- end -}}

{{- define "couponkill.jwksUrl" -}}
{{- default (printf "http://user-auth.%s.svc.cluster.local/.well-known/jwks.json" .Release.Namespace) .Values.config.auth.jwksUrl -}}
{{- end -}}

{{/* Reuses a generated secret value across upgrades: (dict "root" $ "key" "JOB_TOKEN" "length" 48) */}}
{{- define "couponkill.generated" -}}
{{- $name := printf "%s-secrets" (include "couponkill.fullname" .root) -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace $name -}}
{{- if and $existing (hasKey ($existing.data | default dict) .key) -}}{{ index $existing.data .key | b64dec }}{{- else -}}{{ randAlphaNum (int .length) }}{{- end -}}
{{- end -}}

{{/* Reuses a generated value of a named Secret across upgrades: (dict "root" $ "secret" "name" "key" "password" "length" 32) */}}
{{- define "couponkill.generatedIn" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- if and $existing (hasKey ($existing.data | default dict) .key) -}}{{ index $existing.data .key | b64dec }}{{- else -}}{{ randAlphaNum (int .length) }}{{- end -}}
{{- end -}}

{{- define "couponkill.kafkaAuthSecret" -}}{{ printf "%s-kafka-auth" (include "couponkill.fullname" .) }}{{- end -}}

{{/* Kafka's security protocol for the clients (the auth Secret's `protocol` key, kafka-topics.sh). */}}
{{- define "couponkill.kafkaProtocol" -}}
{{- $k := .Values.kafka -}}
{{- if $k.sasl.enabled -}}{{ ternary "SASL_SSL" "SASL_PLAINTEXT" $k.tls.enabled }}{{- else -}}{{ ternary "SSL" "PLAINTEXT" $k.tls.enabled }}{{- end -}}
{{- end -}}

{{/* Environment of one function: (dict "root" $ "name" "grab-coupon" "fn" $fn) */}}
{{- define "couponkill.env" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $facts := include "couponkill.facts" (dict "root" $root "name" .name) | fromJson -}}
{{- $needs := $facts.needs -}}
{{- $secret := include "couponkill.secretName" $root -}}
- name: FUNCTION_TARGET
  value: {{ .name | quote }}
- name: LOG_LEVEL
  value: {{ $v.config.logLevel | quote }}
- name: CONFIG_FILE
  value: /etc/couponkill/config.yaml
- name: REDIS_MODE
  value: {{ $v.redis.mode | quote }}
- name: REDIS_URL
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: REDIS_URL } }
# Absent only for an external Redis without a password (the in-chart Redis always has one).
- name: REDIS_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: REDIS_PASSWORD, optional: true } }
{{- if has "mysql" $needs }}
- name: MYSQL_URL
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: MYSQL_URL } }
{{- range $key, $env := dict "queueLimit" "MYSQL_QUEUE_LIMIT" "acquireTimeoutMs" "MYSQL_ACQUIRE_TIMEOUT_MS" "queryTimeoutMs" "MYSQL_QUERY_TIMEOUT_MS" "connectTimeoutMs" "MYSQL_CONNECT_TIMEOUT_MS" }}
{{- $value := index ($v.config.mysqlPool | default dict) $key }}
{{- if not (kindIs "invalid" $value) }}
- name: {{ $env }}
  value: {{ $value | int | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if has "coupons" $needs }}
- name: COUPONS_DATABASE
  value: {{ $v.config.couponsDatabase | quote }}
{{- end }}
{{- if has "issuer" $needs }}
- name: AUTH_ISSUER
  value: {{ $v.config.auth.issuer | quote }}
- name: AUTH_AUDIENCE
  value: {{ $v.config.auth.audience | quote }}
{{- end }}
{{- if has "verifier" $needs }}
- name: AUTH_JWKS_URL
  value: {{ include "couponkill.jwksUrl" $root | quote }}
{{- end }}
{{- if has "signingKeys" $needs }}
- name: AUTH_TOKEN_TTL_SECONDS
  value: {{ $v.config.auth.tokenTtlSeconds | quote }}
- name: AUTH_SIGNING_KEYS
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: AUTH_SIGNING_KEYS, optional: true } }
{{- end }}
{{- if has "clientAddress" $needs }}
- name: TRUSTED_PROXY_HOPS
  value: {{ $v.config.trustedProxyHops | quote }}
{{- end }}
{{- if has "jobToken" $needs }}
- name: JOB_TOKEN
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: JOB_TOKEN } }
{{- end }}
{{- if has "kafka" $needs }}
- name: KAFKA_BROKERS
  value: {{ include "couponkill.kafkaBrokers" $root | quote }}
{{- if $v.kafka.tls.enabled }}
- name: KAFKA_TLS
  value: "true"
{{- end }}
{{- if $v.kafka.sasl.enabled }}
- name: KAFKA_SASL_MECHANISM
  value: {{ lower $v.kafka.sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ $v.kafka.sasl.username | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ include "couponkill.kafkaAuthSecret" $root }}, key: password } }
{{- end }}
{{- end }}
{{- /* The manifest's own environment: a chart value by its path, or a field of the pod. */}}
{{- range $e := $facts.env }}
- name: {{ $e.name }}
{{- if $e.fieldRef }}
  valueFrom: { fieldRef: { fieldPath: {{ $e.fieldRef }} } }
{{- else }}
{{- $value := $v }}
{{- range splitList "." $e.value }}{{ $value = index $value . }}{{ end }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
- name: NACOS_SERVER_ADDR
  value: {{ include "couponkill.nacosAddr" $root | quote }}
- name: NACOS_NAMESPACE
  value: {{ $v.nacos.namespace | quote }}
- name: NACOS_GROUP
  value: {{ $v.nacos.group | quote }}
- name: NACOS_USERNAME
  value: {{ $v.nacos.username | quote }}
- name: NACOS_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: NACOS_PASSWORD, optional: true } }
{{- range .extraEnv }}
- name: {{ .name }}
  value: {{ .value | quote }}
{{- end }}
{{- range $k, $val := .fn.env }}
- name: {{ $k }}
  value: {{ $val | quote }}
{{- end }}
{{- end -}}

{{/* Container body shared by ksvc and Deployment: (dict "root" $ "name" … "fn" …) */}}
{{- define "couponkill.container" -}}
{{- $v := .root.Values -}}
{{- $facts := include "couponkill.facts" . | fromJson -}}
image: {{ include "couponkill.image" . }}
imagePullPolicy: {{ $v.image.pullPolicy }}
ports:
  - name: http1
    containerPort: 8080
env:
{{ include "couponkill.env" . | indent 2 }}
{{- if and $facts.openapi (not .job) }}
  - name: OPENAPI_FILE
    value: /etc/couponkill-openapi/openapi.json
{{- end }}
{{- if not .job }}
livenessProbe:
  httpGet: { path: {{ $v.probes.liveness.path }}{{ if .deployment }}, port: 8080{{ end }} }
  periodSeconds: {{ $v.probes.liveness.periodSeconds }}
  failureThreshold: {{ $v.probes.liveness.failureThreshold }}
  timeoutSeconds: {{ $v.probes.liveness.timeoutSeconds }}
readinessProbe:
  httpGet: { path: {{ $v.probes.readiness.path }}{{ if .deployment }}, port: 8080{{ end }} }
  periodSeconds: {{ $v.probes.readiness.periodSeconds }}
  failureThreshold: {{ $v.probes.readiness.failureThreshold }}
  timeoutSeconds: {{ $v.probes.readiness.timeoutSeconds }}
{{- end }}
resources:
{{ toYaml .fn.resources | indent 2 }}
securityContext:
{{ toYaml $v.securityContext | indent 2 }}
volumeMounts:
  - name: config
    mountPath: /etc/couponkill
    readOnly: true
  - name: tmp
    mountPath: /tmp
{{- if and $facts.openapi (not .job) }}
  # user-auth publishes the API's OpenAPI document at /openapi.json, beside the JWKS.
  - name: openapi
    mountPath: /etc/couponkill-openapi
    readOnly: true
{{- end }}
{{- end -}}

{{- define "couponkill.volumes" -}}
- name: config
  secret:
    secretName: {{ include "couponkill.fullname" . }}-config
- name: tmp
  emptyDir: { sizeLimit: 64Mi }
- name: openapi
  configMap:
    name: {{ include "couponkill.fullname" . }}-openapi
{{- end -}}

{{- define "couponkill.pullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Every Nacos data id (group nacos.group), imported by the nacos-import hook. */}}
{{- define "couponkill.nacosDataIds" -}}
{{- $v := .Values -}}
{{- $ids := dict -}}
{{- $_ := set $ids "common.yaml" (toYaml (dict "logLevel" $v.config.logLevel "auth" (dict "issuer" $v.config.auth.issuer "audience" $v.config.auth.audience "jwksUrl" (include "couponkill.jwksUrl" .)))) -}}
{{- range $name, $fn := $v.functions }}
{{- $_ := set $ids (printf "%s.yaml" $name) (toYaml (dict "function" $name "containerConcurrency" $fn.containerConcurrency "autoscaling" $fn.autoscaling)) -}}
{{- end }}
{{- $_ = set $ids "flow-rules.yaml" (toYaml $v.flowRules) -}}
{{- $_ = set $ids "order-sharding.yaml" (toYaml $v.config.orderSharding) -}}
{{- $_ = set $ids "user-sharding.yaml" (toYaml $v.config.userSharding) -}}
{{- $_ = set $ids "coupon-sharding.yaml" (toYaml (dict "database" $v.config.couponsDatabase "stockBuckets" 1)) -}}
{{- $_ = set $ids "gateway-routes.yaml" (.Files.Get "files/routes.yaml") -}}
{{- $mw := dict
  "redis" (dict "mode" $v.redis.mode "nodes" (include "couponkill.redisNodes" . | fromJsonArray) "masterName" $v.redis.masterName)
  "mysql" (dict "host" (include "couponkill.mysqlHost" .) "port" $v.mysql.port "replication" $v.mysql.replication)
  "kafka" (dict "brokers" (splitList "," (include "couponkill.kafkaBrokers" .))) -}}
{{- $_ = set $ids "middleware-cluster-config.yaml" (toYaml (dict "middleware" $mw)) -}}
{{- range $id, $content := $v.nacos.dataIds }}{{ $_ := set $ids $id $content }}{{ end -}}
{{- range $id, $content := $ids }}
{{ $id }}: |
{{ $content | trim | indent 2 }}
{{- end }}
{{- end -}}

{{/* The CONFIG_FILE content (also hashed into the pod templates, so a change rolls them). The Redis
     password is not in it: every function reads REDIS_PASSWORD from the Secret. */}}
{{- define "couponkill.configFile" -}}
redis:
  mode: {{ .Values.redis.mode }}
  {{- if ne .Values.redis.mode "standalone" }}
  {{- if eq .Values.redis.mode "cluster" }}
  nodes: {{ include "couponkill.redisNodes" . }}
  {{- else }}
  sentinels: {{ include "couponkill.redisNodes" . }}
  masterName: {{ .Values.redis.masterName | quote }}
  {{- end }}
  {{- end }}
userSharding: {{ toJson .Values.config.userSharding }}
orderSharding: {{ toJson .Values.config.orderSharding }}
{{- end -}}
