#!/usr/bin/env bash
# Copies the files the bundle runs (routes/*.camel.yaml, application.yaml) into k8s/base/config/, where
# kustomize may read them (it reads files only from under the kustomization's own directory, so
# that kubectl apply -k, Argo CD and Flux work with their default load restrictor).
# Run it after changing a route or a setting; KubernetesManifestsTest fails while the copies differ.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf k8s/base/config
mkdir -p k8s/base/config/routes
cp application.yaml k8s/base/config/
cp routes/*.camel.yaml k8s/base/config/routes/
echo "k8s/base/config/ now holds application.yaml and $(ls routes/*.camel.yaml | wc -l) route files"
