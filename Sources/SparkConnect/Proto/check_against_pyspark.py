#!/usr/bin/env python3
"""Checks the trimmed .proto files here against the Spark Connect protocol pyspark ships.

Every message and field we declare must exist in Spark's with the same name, number, type,
label, presence (`optional`) and oneof; an enum's values must be a prefix of Spark's. Run it
with a Python that has pyspark 4.0 and protobuf installed, after editing a .proto:

    .build/spark/venv/bin/python Sources/SparkConnect/Proto/check_against_pyspark.py  (after pip install protobuf there)
"""
import glob, os, subprocess, sys, tempfile, types

# pyspark.sql.connect.proto's package imports grpc for its service stubs; the messages do not need it.
sys.modules.setdefault("grpc", types.ModuleType("grpc"))
from google.protobuf import descriptor_pb2
from pyspark.sql.connect.proto import base_pb2, commands_pb2, expressions_pb2, relations_pb2

here = os.path.dirname(os.path.abspath(__file__))
spark = {}

def index(prefix, message):
    name = f"{prefix}.{message.name}"
    spark[name] = message
    for nested in message.nested_type:
        index(name, nested)

for module in (base_pb2, relations_pb2, commands_pb2, expressions_pb2):
    file = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(file)
    for message in file.message_type:
        index(".spark.connect", message)

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "ours.pb")
    subprocess.run(["protoc", f"--proto_path={here}", f"--descriptor_set_out={out}",
                    *sorted(glob.glob(os.path.join(here, "*.proto")))], check=True)
    ours = descriptor_pb2.FileDescriptorSet.FromString(open(out, "rb").read())

problems, checked = [], 0

def oneof(message, field):
    return message.oneof_decl[field.oneof_index].name if field.HasField("oneof_index") else None

def shape(message, field):
    return (field.number, field.type, field.label, field.type_name, field.proto3_optional, oneof(message, field))

def check(prefix, message):
    global checked
    name = f"{prefix}.{message.name}"
    theirs = spark.get(name)
    if theirs is None:
        problems.append(f"{name}: no such message in Spark")
        return
    fields = {field.name: field for field in theirs.field}
    for field in message.field:
        checked += 1
        match = fields.get(field.name)
        if match is None:
            problems.append(f"{name}.{field.name}: no such field in Spark")
        elif shape(message, field) != shape(theirs, match):
            problems.append(f"{name}.{field.name}: ours {shape(message, field)}, Spark's {shape(theirs, match)}")
    for nested in message.nested_type:
        check(name, nested)
    enums = {enum.name: enum for enum in theirs.enum_type}
    for enum in message.enum_type:
        values = [(value.name, value.number) for value in enum.value]
        spark_values = [(value.name, value.number) for value in enums[enum.name].value] if enum.name in enums else []
        if values != spark_values[:len(values)]:
            problems.append(f"{name}.{enum.name}: values {values}, Spark's {spark_values}")

for file in ours.file:
    for message in file.message_type:
        check(".spark.connect", message)

print("\n".join(problems) or f"{checked} fields match Spark's protocol")
sys.exit(1 if problems else 0)
