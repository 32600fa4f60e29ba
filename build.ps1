# The Makefile's verbs on Windows (Windows PowerShell 5.1 or PowerShell 7), for a machine without
# make or bash: `./build.ps1 <verb> [NAME=value ...] [args ...]` runs what `npm run <verb> -- ...`
# runs, the project's Node task runner (scripts/tasks/verbs.mjs defines every verb), called
# directly so that neither npm nor cmd.exe re-quotes the arguments. The image verbs build with
# Docker Desktop and the Containerfile; the local servers of dev and test need Linux (e.g. WSL).
#   ./build.ps1 help
#   ./build.ps1 build-all-images
#   ./build.ps1 build-and-push-all REGISTRY=127.0.0.1:5000
#   ./build.ps1 deploy-chart NAMESPACE=couponkill --set functions.grab-coupon.image.tag=0.1.0
# Needs Node 18 or newer on PATH (the project itself runs on the version of .node-version).

$ErrorActionPreference = 'Stop'
$tasks = Join-Path $PSScriptRoot 'scripts/tasks.mjs'
$verb = if ($args.Count -gt 0) { [string]$args[0] } else { 'help' }
$rest = if ($args.Count -gt 1) { @($args[1..($args.Count - 1)]) } else { @() }

if (-not (Get-Command node -ErrorAction SilentlyContinue)) {
  Write-Error 'node is not on PATH: install Node (the version in .node-version) and run this again'
  exit 1
}

if ($verb -eq 'help' -or $verb -eq '-h' -or $verb -eq '--help') {
  Write-Output 'Usage: ./build.ps1 <verb> [NAME=value ...] [args ...]   (npm run help lists every verb)'
  & node $tasks help --windows
  exit $LASTEXITCODE
}

& node $tasks $verb @rest
exit $LASTEXITCODE
