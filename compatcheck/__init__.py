"""compatcheck: will this Proxy-Wasm filter load in that Envoy / Istio build?"""

__version__ = "0.2.0"
