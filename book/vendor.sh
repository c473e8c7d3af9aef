#!/usr/bin/env bash
# Vendor the browser scripts the built book needs, so every page works from disk with no network:
#   - @jupyter-widgets/html-manager (embed-amd.js + its fonts) and require.js: render the ipywidgets
#     state that myst-nb embeds in each notebook page (myst-nb would load them from CDNs);
#   - MathJax 3 (es5 build): Sphinx would load it from a CDN.
# They come from the npm registry as packages (`npm pack`), are unpacked into book/_vendor/
# (git-ignored, listed in Sphinx's html_static_path, hence served as _static/...).
set -euo pipefail
cd "$(dirname "$0")"
HTML_MANAGER=@jupyter-widgets/html-manager@1.0.6
REQUIREJS=requirejs@2.3.7
MATHJAX=mathjax@3.2.2
stamp="_vendor/.stamp-${HTML_MANAGER##*@}-${REQUIREJS##*@}-${MATHJAX##*@}"
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null || { echo "vendor.sh: npm (Node.js) is required to fetch the book's scripts" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$HTML_MANAGER" "$REQUIREJS" "$MATHJAX" >/dev/null)
for f in "$tmp"/*.tgz; do d="$tmp/$(basename "$f" .tgz)"; mkdir -p "$d"; tar xzf "$f" -C "$d"; done
rm -rf _vendor
mkdir -p _vendor/widgets _vendor/mathjax
hm="$tmp"/jupyter-widgets-html-manager-*/package
cp $hm/dist/embed-amd.js $hm/dist/*.woff2 $hm/dist/*.woff $hm/dist/*.ttf $hm/dist/*.eot $hm/dist/*.svg \
   $hm/LICENSE _vendor/widgets/
cp "$tmp"/requirejs-*/package/require.js _vendor/widgets/
cp -r "$tmp"/mathjax-*/package/es5/. _vendor/mathjax/
cp "$tmp"/mathjax-*/package/LICENSE _vendor/mathjax/
touch "$stamp"
echo "vendored $HTML_MANAGER $REQUIREJS $MATHJAX into book/_vendor/"
