"""The baseline for bench/api_awards.py: a Flask hello-world POST endpoint."""

from flask import Flask, jsonify, request

app = Flask("hello")


@app.post("/hello")
def hello():
    request.get_json(silent=True)
    return jsonify({"hello": "world"}), 201
