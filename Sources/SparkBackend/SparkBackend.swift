import CellKernel
import SparkConnect
import ArrowIPC
